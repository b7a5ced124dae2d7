"""Statements rewritten so that PostgreSQL can read them by index: the rows stay those of the
rule they express, for every kind of reader, and the index they rely on exists with the
predicate their SQL names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import CaseAssignment, EmergencyAccess
from ipnb_notes import access
from sessions.models import TherapySession
from sessions.notes.services import home_context
from sessions.notes.services.home import written
from tests.factories import make_client, make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseloads(alice, bob, charlie):
    """Sessions of Alice's, Bob's and Charlie's: on their current clients, on a client whose
    assignment has ended, and on another clinician's client opened by emergency access."""
    now = timezone.now()
    own = make_client(alice, legal_name="Own Client")
    former = make_client(alice, legal_name="Former Client")
    bobs = make_client(bob, legal_name="Bob's Client")
    charlies = make_client(charlie, legal_name="Charlie's Client")
    dana = make_user(full_name="Dana Oncall", can_break_glass=True)
    danas = make_client(dana, legal_name="Dana's Client")
    for therapist, clients in (
        (alice, [own, former, charlies]),
        (bob, [bobs, own]),
        (charlie, [charlies]),
        (dana, [danas, own, charlies]),
    ):
        for n, c in enumerate(clients):
            for status in ("SCHEDULED", "ATTENDED", "CANCELLED"):
                make_session(
                    c,
                    therapist,
                    status=status,
                    starts_at=now - timedelta(days=n + 1, hours=len(status)),
                )
            make_session(
                c, therapist, status="SCHEDULED", starts_at=now + timedelta(days=n + 1)
            )
    CaseAssignment.objects.filter(client=former).update(ended_at=now - timedelta(1))
    EmergencyAccess.objects.create(
        user=dana,
        client=charlies,
        reason="Crisis line call; the safety plan is needed now.",
        granted_at=now - timedelta(hours=1),
        expires_at=now + timedelta(hours=8),
    )
    return {"alice": alice, "bob": bob, "charlie": charlie, "dana": dana}


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "dana"])
def test_the_calendar_names_exactly_the_clients_the_reader_may_see(caseloads, who):
    user = caseloads[who]
    visible = set(access.visible_clients(user).values_list("pk", flat=True))
    rows = list(
        access.calendar_sessions(user).values_list("client_id", "client_visible")
    )
    assert rows and len(rows) == TherapySession.objects.filter(therapist=user).count()
    assert {c for c, shown in rows if shown} == {c for c, _ in rows if c in visible}
    assert all(shown is (c in visible) for c, shown in rows)
    # Every answer is a yes or a no (never NULL), and both occur across the readers.
    assert {shown for _, shown in rows} <= {True, False}


def test_the_calendar_shows_a_client_opened_by_emergency_access_and_hides_a_former_one(
    caseloads,
):
    dana, alice = caseloads["dana"], caseloads["alice"]
    shown = dict(
        access.calendar_sessions(dana).values_list(
            "client__legal_name", "client_visible"
        )
    )
    assert shown["Charlie's Client"] is True and shown["Dana's Client"] is True
    assert shown["Own Client"] is False
    shown = dict(
        access.calendar_sessions(alice).values_list(
            "client__legal_name", "client_visible"
        )
    )
    assert shown == {
        "Own Client": True,
        "Former Client": False,
        "Charlie's Client": False,
    }


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "dana"])
def test_past_sessions_still_scheduled_are_the_readers_own_on_visible_clients(
    caseloads, who
):
    user = caseloads[who]
    now = timezone.now()
    visible = set(access.visible_clients(user).values_list("pk", flat=True))
    expected = [
        s.pk
        for s in TherapySession.objects.filter(therapist=user).order_by("starts_at")
        if s.status == "SCHEDULED" and s.starts_at < now and s.client_id in visible
    ]
    got = [s.pk for s in home_context(user)["past_scheduled"]]
    assert got == expected and expected


def test_the_status_the_partial_index_names_is_written_into_the_statement():
    """The home's statements are prepared and, after a few requests, planned once for any
    parameters: the partial index serves them only if the SQL itself says 'SCHEDULED'."""
    qs = TherapySession.objects.filter(status=written(TherapySession.Status.SCHEDULED))
    sql, params = qs.query.sql_with_params()
    assert "= 'SCHEDULED'" in sql and "SCHEDULED" not in params
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["session_scheduled_start_idx"],
        )
        [(indexdef,)] = cursor.fetchall()
    assert "(therapist_id, starts_at)" in indexdef
    assert "WHERE ((status)::text = 'SCHEDULED'::text)" in indexdef


@pytest.mark.parametrize("code", ["scheduled", "A'; DROP TABLE x; --", "", "ATTENDED "])
def test_only_a_choice_code_may_be_written_into_sql(code):
    with pytest.raises(ValueError):
        written(code)
