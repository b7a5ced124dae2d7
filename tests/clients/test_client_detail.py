"""The client page: overview, goals, timeline, last plan, open ruptures, last ratings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import TreatmentGoal
from sessions.models import (
    IntegrationIndicator,
    IntegrationRating,
    ProgressNote,
    RepairEvent,
    RuptureEvent,
)
from tests.factories import make_goal, make_note, make_session


def url(c) -> str:
    return reverse("clients:client_detail", args=[c.code])


def _signed(session, plan: str) -> ProgressNote:
    note = make_note(session, plan=plan)
    # Signing is the notes feature's job; here only the stored state matters.
    ProgressNote.objects.filter(pk=note.pk).update(
        status=ProgressNote.Status.SIGNED,
        signed_at=timezone.now(),
        signed_by=session.therapist,
    )
    return note


def test_it_shows_the_overview(client, alice, alices_client):
    alices_client.date_of_birth = date(1990, 1, 1)
    alices_client.consent_to_treatment_on = date(2025, 1, 6)
    alices_client.emergency_contact_name = "Dev Marsh"
    alices_client.emergency_contact_relationship = "brother"
    alices_client.save()
    client.force_login(alice)
    html = client.get(url(alices_client)).content.decode()
    assert "Roz" in html and "she/her" in html and "Rosalind Marsh" in html
    today = timezone.localdate()
    age = today.year - 1990 - ((today.month, today.day) < (1, 1))
    assert f"{age} (born Jan 1, 1990)" in html
    assert "F41.1" in html and "Generalized anxiety disorder" in html
    assert "Sleep is short since the move" in html
    assert "Dev Marsh" in html and "brother" in html
    assert "Recorded Jan 6, 2025" in html


def test_it_lists_goals_and_offers_edit_forms_to_the_caseload_therapist(
    client, alice, alices_client
):
    active = make_goal(alices_client, alice, text="Sleep through most nights")
    met = make_goal(
        alices_client,
        alice,
        text="Name three body cues",
        status=TreatmentGoal.Status.MET,
    )
    client.force_login(alice)
    response = client.get(url(alices_client))
    assert response.context["active_goals"] == [active]
    assert response.context["other_goals"] == [met]
    html = response.content.decode()
    assert reverse("clients:goal_edit", args=[active.code]) in html
    assert reverse("clients:goal_status", args=[active.code]) in html
    assert reverse("clients:goal_create", args=[alices_client.code]) in html
    assert reverse("sessions:session_create", args=[alices_client.code]) in html


def test_the_timeline_is_newest_first_with_note_badges(
    client, alice, bob, alices_client
):
    now = timezone.now()
    old = make_session(alices_client, alice, starts_at=now - timedelta(days=14))
    mid = make_session(alices_client, alice, starts_at=now - timedelta(days=7))
    new = make_session(alices_client, alice, starts_at=now - timedelta(days=1))
    _signed(old, "Continue weekly.")
    make_note(mid, status=ProgressNote.Status.RETURNED)
    draft = make_note(new)
    client.force_login(alice)
    response = client.get(url(alices_client))
    assert [row["code"] for row in response.context["timeline"]] == [
        new.code,
        mid.code,
        old.code,
    ]
    html = response.content.decode()
    assert "Signed" in html and "Needs revision" in html
    assert reverse("sessions:note_detail", args=[draft.code]) in html
    assert reverse("sessions:session_detail", args=[old.code]) in html
    # Bob reads Alice's record but not her draft: it is hers until she signs it.
    client.force_login(bob)
    html = client.get(url(alices_client)).content.decode()
    assert reverse("sessions:note_detail", args=[draft.code]) not in html
    assert "Needs revision" in html


def test_the_timeline_paginates_at_25_with_an_htmx_fragment(
    client, alice, alices_client
):
    now = timezone.now()
    for n in range(27):
        make_session(alices_client, alice, starts_at=now - timedelta(days=n + 1))
    client.force_login(alice)
    first = client.get(url(alices_client))
    assert len(first.context["timeline"]) == 25
    assert 'hx-get="?page=2"' in first.content.decode()
    second = client.get(url(alices_client), {"page": 2}, headers={"HX-Request": "true"})
    html = second.content.decode()
    assert "<html" not in html
    assert len(second.context["timeline"]) == 2
    assert "Newer sessions" in html


def test_it_shows_the_last_signed_plan(client, alice, alices_client):
    now = timezone.now()
    _signed(
        make_session(alices_client, alice, starts_at=now - timedelta(days=14)),
        "Old plan",
    )
    _signed(
        make_session(alices_client, alice, starts_at=now - timedelta(days=7)),
        "Try the hand model at home",
    )
    make_note(
        make_session(alices_client, alice, starts_at=now - timedelta(days=1)),
        plan="Unsigned plan",
    )
    client.force_login(alice)
    html = client.get(url(alices_client)).content.decode()
    assert "Try the hand model at home" in html
    assert "Old plan" not in html
    assert "Unsigned plan" not in html


def test_it_shows_open_ruptures_oldest_first_with_their_age(
    client, alice, alices_client
):
    now = timezone.now()
    s1 = make_session(alices_client, alice, starts_at=now - timedelta(days=20))
    s2 = make_session(alices_client, alice, starts_at=now - timedelta(days=3))
    old = RuptureEvent.objects.create(
        session=s1,
        client=alices_client,
        minute=12,
        rupture_type=RuptureEvent.Type.WITHDRAWAL,
        markers=[RuptureEvent.Marker.W2_MINIMAL_RESPONSE],
        created_by=alice,
    )
    repaired = RuptureEvent.objects.create(
        session=s1,
        client=alices_client,
        minute=30,
        rupture_type="CONFRONTATION",
        created_by=alice,
    )
    RepairEvent.objects.create(
        session=s1, rupture=repaired, minute=35, created_by=alice
    )
    recent = RuptureEvent.objects.create(
        session=s2,
        client=alices_client,
        minute=5,
        rupture_type="CONFRONTATION",
        created_by=alice,
    )
    client.force_login(alice)
    response = client.get(url(alices_client))
    ruptures = response.context["ruptures"]
    assert [(r["session__code"], r["minute"]) for r in ruptures] == [
        (old.session.code, old.minute),
        (recent.session.code, recent.minute),
    ]
    assert ruptures[0]["age_days"] == 20
    html = response.content.decode()
    assert html.count(f"<strong>{old.get_rupture_type_display()}</strong>") == 1
    assert reverse("sessions:session_detail", args=[recent.session.code]) in html
    assert (
        "Minimal response" in html and "open 20 days" in html and "3RS-informed" in html
    )


def test_it_shows_the_latest_rated_sessions_ratings(client, alice, alices_client):
    now = timezone.now()
    indicator = IntegrationIndicator.objects.order_by("sort_order").first()
    earlier = make_session(alices_client, alice, starts_at=now - timedelta(days=14))
    later = make_session(alices_client, alice, starts_at=now - timedelta(days=7))
    make_session(alices_client, alice, starts_at=now - timedelta(days=1))  # not rated
    IntegrationRating.objects.create(
        session=earlier, indicator=indicator, value=1, rated_by=alice
    )
    IntegrationRating.objects.create(
        session=later, indicator=indicator, value=3, rated_by=alice
    )
    client.force_login(alice)
    response = client.get(url(alices_client))
    assert [r["value"] for r in response.context["ratings"]] == [3]
    html = response.content.decode()
    assert indicator.label in html
    assert reverse("sessions:session_detail", args=[later.code]) in html
    assert f"on {indicator.scale_min}–{indicator.scale_max}" in html
    assert str(indicator.get_instrument_status_display()) in html
    assert "Clinician-rated, non-standardised" in html


def test_it_audits_the_read(client, bob, alices_client):
    client.force_login(bob)
    client.get(url(alices_client))
    event = AuditEvent.objects.get(action="client.view")
    assert event.actor == bob
    assert event.client_code == alices_client.code
    assert event.target_code == str(alices_client.code)


def _grow(client_, therapist, n: int):
    now = timezone.now()
    indicators = list(IntegrationIndicator.objects.all()[:3])
    for i in range(n):
        s = make_session(
            client_, therapist, starts_at=now - timedelta(days=7 * (i + 1), hours=i)
        )
        _signed(s, f"plan {i}")
        make_goal(client_, therapist, text=f"goal {i}")
        RuptureEvent.objects.create(
            session=s,
            client=client_,
            minute=3,
            rupture_type="WITHDRAWAL",
            created_by=therapist,
        )
        for ind in indicators:
            IntegrationRating.objects.create(
                session=s, indicator=ind, value=2, rated_by=therapist
            )


# Session, user, the access check, one round trip for everything the page shows
# (ipnb_notes.batch: the emergency-access notices of audit/_emergency_notices.html, the
# Measures section's statement (measures.services.client_summary) and the small trajectory
# chart's (dashboards.reports.mini_trajectory) among them) with the audit event's INSERT at
# its head (ipnb_notes.batch.carry). A supervisor's supervisees are a subquery, not a look-up.
DETAIL_QUERIES = {"alice": 4, "bob": 4}


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_the_query_count_does_not_grow_with_sessions_or_goals(
    client, django_assert_num_queries, personas, alices_client, persona
):
    alice = personas["alice"]
    _grow(alices_client, alice, 2)
    client.force_login(personas[persona])
    client.get(url(alices_client))
    with CaptureQueriesContext(connection) as small:
        client.get(url(alices_client))
    _grow(alices_client, alice, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url(alices_client))
    assert len(response.context["timeline"]) == 25
    assert len(small.captured_queries) == DETAIL_QUERIES[persona]


def test_the_emergency_notice_names_this_client_only(client, alice, alices_client):
    """The notices ride in the page's one round trip, those on this client alone."""
    from clients.models import EmergencyAccess
    from tests.factories import make_client, make_user

    other = make_client(alice, legal_name="Other Person")
    now = timezone.now()
    for record, who in ((alices_client, "Dana Oncall"), (other, "Eli Oncall")):
        EmergencyAccess.objects.create(
            user=make_user(full_name=who, can_break_glass=True),
            client=record,
            reason="The on-call clinician needed the safety plan.",
            granted_at=now - timedelta(hours=1),
            expires_at=now + timedelta(hours=1),
        )
    client.force_login(alice)
    page = client.get(url(alices_client)).content.decode()
    assert "Emergency access to your clients" in page
    assert "Dana Oncall" in page
    assert "Eli Oncall" not in page
    assert "Other Person" not in page
    quiet = client.get(url(make_client(alice))).content.decode()
    assert "Emergency access to your clients" not in quiet


def test_the_timeline_names_the_therapist_as_the_user_model_does(alice):
    """The timeline's plain rows print a therapist as str(user) does, name or email."""
    from clients.queries import therapist_name

    assert therapist_name(alice.full_name, alice.email) == str(alice)
    alice.full_name = ""
    assert therapist_name("", alice.email) == str(alice) == alice.email
