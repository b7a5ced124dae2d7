"""The daily email digest (accounts/digest.py): counts that agree with the home page and the
co-signature queue, a fixed number of statements for the whole practice, one email per person
per day, the opt-out, and no client's name or code in any email. The real worker's run is in
tests/accounts/test_digest_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import digest
from accounts.models import DailyDigest, User
from audit.models import AuditEvent
from clients.models import CaseAssignment
from ipnb_notes import access, practice
from ipnb_notes.models import OutboxMessage
from sessions.models import ProgressNote, TherapySession
from tests.factories import (
    make_client,
    make_note,
    make_session,
    make_supervision,
    make_user,
)

pytestmark = pytest.mark.django_db

Status = ProgressNote.Status
NAMES = {
    "roz": ("Rosalind Okafor-Vance", "Roz"),
    "gone": ("Theodora Quimby", "Teddy"),
    "bobs": ("Ignatius Brannigan", "Iggy"),
}


def _world(alice: User, bob: User, charlie: User) -> dict:
    """Alice (co-signature required, supervised by Bob) has in every state: sessions
    attended without a note (recent and late), drafts (recent and late), a returned note, a
    note awaiting Bob's co-signature, a past session still scheduled and a client transferred
    away. Bob has one session of his own to write up. Charlie has nothing to do."""
    now = timezone.now()
    recent = now - timedelta(hours=3)
    old = now - timedelta(days=10)
    roz = make_client(alice, legal_name=NAMES["roz"][0], preferred_name=NAMES["roz"][1])
    make_session(roz, alice, starts_at=recent)  # to write
    make_session(roz, alice, starts_at=old)  # to write, late
    make_note(
        make_session(roz, alice, starts_at=old - timedelta(days=1))
    )  # draft, late
    make_note(make_session(roz, alice, starts_at=recent - timedelta(hours=2)))  # draft
    make_note(
        make_session(roz, alice, starts_at=old - timedelta(days=2)),
        status=Status.RETURNED,
        signed_at=old,
        signed_by=alice,
    )
    make_note(
        make_session(roz, alice, starts_at=old - timedelta(days=3)),
        status=Status.AWAITING_COSIGNATURE,
        signed_at=old,
        signed_by=alice,
    )
    make_session(
        roz, alice, starts_at=old, status=TherapySession.Status.SCHEDULED
    )  # not attended: nothing to write
    make_session(roz, alice, starts_at=now + timedelta(days=1))  # not begun
    # A client transferred away: her sessions leave Alice's lists (as on her home page).
    gone = make_client(
        alice, legal_name=NAMES["gone"][0], preferred_name=NAMES["gone"][1]
    )
    make_session(gone, alice, starts_at=old)
    CaseAssignment.objects.filter(client=gone).update(ended_at=now - timedelta(hours=1))
    bobs = make_client(
        bob, legal_name=NAMES["bobs"][0], preferred_name=NAMES["bobs"][1]
    )
    make_session(bobs, bob, starts_at=recent)
    return {"clients": [roz, gone, bobs]}


def test_the_counts_are_the_home_pages_and_the_cosignature_queue(
    client, alice, bob, charlie
):
    _world(alice, bob, charlie)

    counts = digest.counts()

    assert counts == {
        alice.pk: digest.Counts(to_write=4, late=2, returned=1, cosign=0),
        bob.pk: digest.Counts(to_write=1, late=0, returned=0, cosign=1),
    }
    # The same numbers as each clinician's home page and co-signature queue, so the
    # digest's set-based statements cannot drift from the lists they announce.
    for user in (alice, bob, charlie):
        client.force_login(user)
        home = client.get(reverse("home")).context
        unsigned = [*home["to_write"], *home["drafts"]]
        mine = counts.get(user.pk, digest.Counts())
        assert mine.to_write == len(unsigned)
        assert mine.late == sum(row.is_late for row in unsigned)
        assert mine.returned == len(home["returned"])
        if user.is_supervisor:
            assert mine.cosign == len(home["cosign_queue"])
            assert mine.cosign == access.cosignature_queue(user).count()


def test_late_follows_the_practices_threshold(alice, bob, charlie):
    _world(alice, bob, charlie)
    assert digest.counts()[alice.pk].late == 2

    # Ten days is past the "old" sessions: nothing is late any more.
    practice.set_note_late_hours(24 * 12, by=make_user(role=User.Role.ADMIN))

    assert digest.counts()[alice.pk].late == 0


def _busy_clinicians(n: int) -> None:
    supervisor = make_user(role=User.Role.SUPERVISOR)
    for _ in range(n):
        therapist = make_user()
        make_supervision(supervisor, therapist, requires_cosignature=True)
        c = make_client(therapist)
        make_session(c, therapist, starts_at=timezone.now() - timedelta(days=5))
        make_note(make_session(c, therapist), status=Status.RETURNED)
        make_note(
            make_session(c, therapist, starts_at=timezone.now() - timedelta(days=20)),
            status=Status.AWAITING_COSIGNATURE,
        )


def _statements(fn) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


def test_the_whole_practice_costs_the_same_statements_for_1_or_20_clinicians():
    _busy_clinicians(1)
    one_counts = _statements(digest.counts)
    one_plan = _statements(digest.plan)
    assert len(digest.counts()) == 2  # the therapist and the supervisor

    DailyDigest.objects.all().delete()
    OutboxMessage.objects.all().delete()
    _busy_clinicians(19)
    twenty_counts = _statements(digest.counts)
    twenty_plan = _statements(digest.plan)

    assert len(digest.counts()) == 22
    assert DailyDigest.objects.count() == 22
    assert len(twenty_counts) == len(one_counts) == 2
    assert len(twenty_plan) == len(one_plan)


def _send_today(capture) -> list[int]:
    with capture(execute=True):
        return digest.plan()


def test_each_clinician_with_something_to_do_gets_one_email_a_day(
    alice, bob, charlie, mailoutbox, django_capture_on_commit_callbacks
):
    _world(alice, bob, charlie)

    queued = _send_today(django_capture_on_commit_callbacks)

    assert len(queued) == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([alice.email, bob.email])
    assert not OutboxMessage.objects.exists()  # published and gone
    rows = DailyDigest.objects.filter(day=timezone.localdate())
    assert all(row.sent_at for row in rows)
    # The beat task running again the same day (or a redelivered send) sends nothing.
    assert _send_today(django_capture_on_commit_callbacks) == []
    from accounts.tasks import digest_send

    digest_send.apply(args=queued)
    assert len(mailoutbox) == 2
    assert DailyDigest.objects.count() == 2
    # Nothing to do, nothing sent (Charlie).
    assert charlie.email not in {m.to[0] for m in mailoutbox}


def test_the_email_has_counts_and_a_link_and_no_client(
    alice, bob, charlie, mailoutbox, django_capture_on_commit_callbacks
):
    world = _world(alice, bob, charlie)

    _send_today(django_capture_on_commit_callbacks)

    by_recipient = {m.to[0]: m for m in mailoutbox}
    alices = by_recipient[alice.email]
    assert alices.subject == "Your notes today: 4 to write, 1 to revise"
    hours = practice.DEFAULT_NOTE_LATE_HOURS
    assert f"Notes to write: 4 (2 late: more than {hours} hours after the session)" in (
        alices.body
    )
    assert f"{Status.RETURNED.label}: 1" in alices.body
    assert Status.AWAITING_COSIGNATURE.label not in alices.body
    assert settings.SITE_URL.rstrip("/") + reverse("home") in alices.body
    assert reverse("account_reminders") in alices.body
    bobs = by_recipient[bob.email]
    assert f"{Status.AWAITING_COSIGNATURE.label}: 1" in bobs.body
    assert bobs.subject == "Your notes today: 1 to write, 1 to co-sign"
    for message in mailoutbox:
        text = message.subject + message.body
        for c in world["clients"]:
            for name in (c.legal_name, c.preferred_name, *c.legal_name.split()):
                assert name not in text
            assert str(c.code) not in text
        for note in ProgressNote.objects.all():
            assert str(note.code) not in text
            assert str(note.session.code) not in text


def test_a_clinician_who_opted_out_gets_nothing(
    alice, bob, charlie, mailoutbox, django_capture_on_commit_callbacks
):
    _world(alice, bob, charlie)
    digest.set_preference(user=alice, enabled=False)

    _send_today(django_capture_on_commit_callbacks)

    assert [m.to[0] for m in mailoutbox] == [bob.email]
    assert not DailyDigest.objects.filter(user=alice).exists()


def test_opting_out_after_the_plan_is_honoured_by_the_sender(
    alice, bob, charlie, mailoutbox, django_capture_on_commit_callbacks
):
    _world(alice, bob, charlie)
    queued = digest.plan()  # queued, not yet sent
    User.objects.filter(pk=alice.pk).update(digest_email=False)
    from accounts.tasks import digest_send

    digest_send.apply(args=queued)

    assert [m.to[0] for m in mailoutbox] == [bob.email]


def test_practice_admins_and_inactive_clinicians_get_no_digest(alice, bob, charlie):
    _world(alice, bob, charlie)
    User.objects.filter(pk=bob.pk).update(is_active=False)
    make_user(role=User.Role.ADMIN)

    assert set(digest.counts()) == {alice.pk}


def test_the_digest_goes_out_at_the_declared_practice_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-digest-daily"]
    assert entry["task"] == "accounts.tasks.digest_daily"
    assert entry["schedule"].hour == {settings.DIGEST_HOUR}
    assert entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    assert digest.send_time().hour == settings.DIGEST_HOUR


# --- The clinician's own page ---------------------------------------------------------------


def test_the_digest_is_on_by_default(alice):
    assert alice.digest_email is True


def test_a_clinician_turns_the_digest_off_and_on_from_their_account_page(client, alice):
    client.force_login(alice)
    url = reverse("account_reminders")
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="digest_email"' in page.content.decode()
    assert "checked" in page.content.decode()

    response = client.post(url, {})  # the box unticked

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.digest_email is False
    event = AuditEvent.objects.get(action="user.digest_preference")
    assert event.changes == {"digest_email": [True, False]}
    assert "checked" not in client.get(url).content.decode()

    client.post(url, {"digest_email": "on"})
    alice.refresh_from_db()
    assert alice.digest_email is True
    # Saving an unchanged preference records nothing.
    client.post(url, {"digest_email": "on"})
    assert AuditEvent.objects.filter(action="user.digest_preference").count() == 2


def test_the_header_links_clinicians_to_their_reminders(client, alice, ada):
    client.force_login(alice)
    assert reverse("account_reminders") in client.get(reverse("home")).content.decode()
    client.force_login(ada)
    assert (
        reverse("account_reminders") not in client.get(reverse("home")).content.decode()
    )
    assert client.get(reverse("account_reminders")).status_code == 404


def test_the_page_stays_within_the_budget(client, bob, alice, charlie):
    _world(alice, bob, charlie)
    client.force_login(bob)
    url = reverse("account_reminders")
    with CaptureQueriesContext(connection) as get:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as post:
        assert client.post(url, {}).status_code == 302
    assert len(get.captured_queries) <= 10
    assert len(post.captured_queries) <= 10


@pytest.mark.parametrize(
    "data",
    [
        {"digest_email": "<script>alert(1)</script>"},
        {"digest_email": "\x00"},
        {"digest_email": "x" * 100_000},
        {"digest_email": ["on", "off", "false"]},
        {"digest_email": "false"},
        {
            "digest_email": "' OR 1=1 --",
            "email": "mallory@example.org",
            "role": "ADMIN",
        },
    ],
)
def test_hostile_input_is_a_yes_or_a_no_and_nothing_else(client, alice, data):
    client.force_login(alice)

    response = client.post(reverse("account_reminders"), data)

    # A yes or a no is saved; a NUL byte is refused before any view (400), changing nothing.
    assert response.status_code in (302, 400)
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"
    assert alice.role == User.Role.THERAPIST
    if response.status_code == 400:
        assert alice.digest_email is True
        assert not AuditEvent.objects.filter(action="user.digest_preference").exists()
