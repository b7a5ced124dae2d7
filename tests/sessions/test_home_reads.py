"""How the home reads its lists: the rows that hang off a client follow `visible_clients` and
`own_clients` exactly (they name the clients by a one-column subquery), the open risk alerts
ride in the lists' one round trip, and each open thread counts its own replies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Supervision
from clients.models import CaseAssignment, EmergencyAccess
from ipnb_notes import access
from measures import services as measures
from measures.instruments import PHQ9
from sessions.capture import services as capture
from sessions.models import (
    ProgressNote,
    RuptureEvent,
    SupervisionComment,
    TherapySession,
)
from sessions.notes import services
from sessions.notes.services import home_context
from tests.factories import (
    make_assignment,
    make_client,
    make_note,
    make_session,
    make_user,
)
from tests.sessions.conftest import sign

pytestmark = pytest.mark.django_db


def _world(alice, bob, charlie, ada):
    """Clients on Alice's caseload (one she co-treats with Charlie, one whose assignment has
    ended), Charlie's own client opened by Dana through an emergency grant, and an inactive
    therapist: every kind of row the home lists, drafts and signed notes included."""
    now = timezone.now()
    own = make_client(alice)
    shared = make_client(charlie)
    make_assignment(shared, alice)
    ended = make_client(alice)
    CaseAssignment.objects.filter(client=ended, therapist=alice).update(
        ended_at=now - timedelta(days=2)
    )
    theirs = make_client(charlie)
    dana = make_user(email="dana@example.org", full_name="Dana Oncall")
    dana.can_break_glass = True
    dana.save(update_fields=["can_break_glass"])
    EmergencyAccess.objects.create(
        user=dana,
        client=theirs,
        reason="Client in crisis, therapist away.",
        granted_at=now,
        expires_at=now + timedelta(minutes=60),
    )
    EmergencyAccess.objects.create(
        user=dana,
        client=own,
        reason="Client called the practice at night.",
        granted_at=now,
        expires_at=now + timedelta(minutes=60),
    )
    gone = make_user(email="gone@example.org", full_name="Gone Therapist")
    make_assignment(own, gone)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for client, therapist in ((shared, charlie), (ended, alice), (own, alice)):
        for days in (1, 8):
            session = make_session(
                client, therapist, starts_at=now - timedelta(days=days)
            )
            capture.event_create(
                session=session, tag="rupture-withdrawal", minute=5, by=therapist
            )
        draft = make_note(session)
        signed = sign(make_note(make_session(client, therapist)), therapist)
        if therapist == alice:
            services.comment_add(note=signed, by=bob, text="What happened here?")
    # A thread on a draft (left from before a return): a draft is its author's alone.
    SupervisionComment.objects.create(
        note=draft, author=bob, kind=SupervisionComment.Kind.COMMENT, text="Draft?"
    )
    make_session(theirs, charlie)
    return [alice, bob, charlie, ada, dana, gone]


def test_the_home_lists_follow_visible_and_own_clients_exactly(
    alice, bob, charlie, ada
):
    users = _world(alice, bob, charlie, ada)
    month_ago = timezone.now() - timedelta(days=30)
    for user in users:
        clients = access.visible_clients(user)
        drafts_of_others = ~Q(author=user) & Q(status=ProgressNote.Status.DRAFT)
        expected = {
            "sessions": TherapySession.objects.filter(client__in=clients),
            "notes": ProgressNote.objects.filter(client__in=clients).exclude(
                drafts_of_others
            ),
            "ruptures": RuptureEvent.objects.filter(
                client__in=access.own_clients(user)
            ),
        }
        got = {
            "sessions": access.visible_sessions(user),
            "notes": access.visible_notes(user),
            "ruptures": access.own_ruptures(user),
        }
        for name, queryset in expected.items():
            assert set(got[name]) == set(queryset), (user.email, name)
        notices = EmergencyAccess.objects.filter(
            client__in=access.own_clients(user), granted_at__gte=month_ago
        ).exclude(user=user)
        if not user.is_clinician:
            notices = notices.none()
        assert set(access.emergency_notices(user)) == set(notices), user.email
        supervisees = Supervision.objects.current().filter(supervisor=user)
        threads = SupervisionComment.objects.filter(
            Q(note__author=user)
            | Q(note__author__in=supervisees.values("supervisee_id")),
            kind=SupervisionComment.Kind.COMMENT,
            resolved_at__isnull=True,
            note__in=access.visible_notes(user),
        )
        assert set(access.open_threads(user)) == set(threads), user.email
    # The world is not empty where it should not be.
    alice_, bob_, charlie_, ada_, dana, gone = users
    assert access.visible_sessions(alice_).count() == 6  # her client, the shared one
    assert access.visible_sessions(bob_).count() == 6  # his supervisee's
    assert access.visible_sessions(dana).count() == 4  # through the two grants
    assert access.visible_notes(charlie_).count() == 2  # his draft, his signed note
    assert not access.visible_notes(bob_).filter(status="DRAFT").exists()
    assert access.visible_notes(bob_).count() == 2  # the signed ones alone
    assert access.own_ruptures(alice_).count() == 4
    assert [n.user for n in access.emergency_notices(alice_)] == [dana]
    # Bob's threads on Alice's notes: the one on her current client's signed note is open
    # to both, the one on the client whose assignment ended to neither, the one on her
    # draft to her alone.
    assert SupervisionComment.objects.count() == 3
    assert access.open_threads(alice_).count() == 2
    assert access.open_threads(bob_).count() == 1
    assert not access.open_threads(charlie_).exists()
    for nobody in (ada_, gone):
        assert not access.visible_sessions(nobody).exists()
        assert not access.visible_notes(nobody).exists()
        assert not access.own_ruptures(nobody).exists()
        assert not access.emergency_notices(nobody).exists()


def test_the_home_reads_its_risk_alerts_with_its_lists(client, alice, bob):
    robin = make_client(alice, preferred_name="Robin")
    measures.administration_record(
        client=robin, instrument=PHQ9, answers=[0] * 8 + [2], by=alice
    )
    ack = reverse("measures:alert_acknowledge", args=[robin.risk_alerts.get().code])
    make_session(robin, alice)
    for user in (alice, bob):
        client.force_login(user)
        client.get(reverse("home"))
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("home")).content.decode()
        assert ack in page and "Robin" in page
        naming = [q["sql"] for q in ctx if "measures_riskalert" in q["sql"]]
        assert len(naming) == 1
        assert "therapy_sessions_therapysession" in naming[0]  # the lists' statement
        # The session and its user, the lists with the practice's late threshold, the read.
        assert len(ctx) == 4


def test_each_open_thread_on_the_home_counts_its_own_replies(client, alice, bob):
    robin = make_client(alice, preferred_name="Robin")
    first = sign(make_note(make_session(robin, alice)), alice)
    second = sign(
        make_note(
            make_session(robin, alice, starts_at=timezone.now() - timedelta(days=9))
        ),
        alice,
    )
    services.comment_add(note=first, by=bob, text="Nobody answered this one.")
    busy = services.comment_add(note=second, by=bob, text="A lively one.")
    services.thread_reply(thread=busy, by=alice, text="First answer.")
    services.thread_reply(thread=busy, by=bob, text="A question back.")
    services.thread_reply(thread=busy, by=alice, text="Second answer.")
    client.force_login(alice)
    page = client.get(reverse("home")).content.decode()
    items = re.findall(r"<li>(.*?)</li>", page.split('id="threads-h"')[1], re.S)
    assert len(items) == 2
    busy_item = next(item for item in items if "lively" in item)
    quiet_item = next(item for item in items if "Nobody" in item)
    assert "3 replies" in busy_item
    assert "repl" not in quiet_item.replace("Nobody answered", "")
    # Alice spoke last in the lively one; the quiet one awaits her.
    assert "Awaiting you" not in busy_item and "Awaiting you" in quiet_item


def test_a_returned_note_is_listed_from_its_own_columns_with_its_comment(
    client, alice, bob
):
    robin = make_client(alice, preferred_name="Robin")
    note = sign(make_note(make_session(robin, alice)), alice)
    services.note_return(note=note, by=bob, comment="Say more about the repair.")
    [row] = home_context(alice)["returned"]
    assert row.pk == note.pk
    assert {"sections", "signed_at"} <= row.get_deferred_fields()
    assert row.return_comment.text == "Say more about the repair."
    client.force_login(alice)
    page = client.get(reverse("home")).content.decode()
    section = page.split('id="returned-h"')[1].split("</section>")[0]
    assert reverse("sessions:note_edit", args=[note.session.code]) in section
    assert "Robin" in section and "Say more about the repair." in section
    assert "Bob Supervisor" in section
