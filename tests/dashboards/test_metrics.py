"""Every dashboard figure, checked against arithmetic done by hand on hand-made data."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dashboards import reports, services
from dashboards.models import (
    ClientSummary,
    ClientWeek,
    SessionRollup,
    TherapistSummary,
    TherapistWeek,
)
from tests.dashboards.helpers import (
    arousal,
    attune,
    rate,
    rate_composite,
    repair,
    rupture,
    session,
    signed_note,
    weeks_ago,
)
from tests.factories import make_client, make_note

pytestmark = pytest.mark.django_db


def refresh(client):
    services.rollup_refresh_client(client_id=client.id)


# --- The slope -------------------------------------------------------------------------------


def test_least_squares_slope_by_hand():
    # x = 1..4, y = 1, 2, 2, 3: mean x 2.5, mean y 2; sxy = 1.5+0+0+1.5 = 3; sxx = 5.
    assert reports.least_squares_slope([1, 2, 2, 3]) == pytest.approx(0.6)
    assert reports.least_squares_slope([2, 2, 2]) == 0
    assert reports.least_squares_slope([3]) is None
    assert reports.least_squares_slope([]) is None


def test_the_trend_statement_shows_its_arithmetic():
    trend = reports.Trend(slope=0.08, n=8)
    assert trend.change == pytest.approx(0.56)
    assert trend.statement() == (
        "Composite +0.6 over the last 8 rated sessions; slope +0.08 per session "
        "(least-squares fit; change = slope × 7 intervals)."
    )
    assert trend.direction == "up"
    assert reports.Trend(slope=-0.1, n=8).declining
    assert reports.Trend(slope=0.01, n=8).direction == "flat"
    assert reports.Trend(slope=None, n=1).direction == "none"
    assert "not enough" in reports.Trend(slope=None, n=1).statement()


def test_sql_slope_matches_the_hand_computed_one_over_the_window(alice):
    client = make_client(alice)
    values = [0, 4, 1, 2, 2, 3]  # the window of 4 keeps 1, 2, 2, 3
    for k, value in enumerate(values):
        rate_composite(session(client, alice, weeks_ago(10 - k)), value)
    refresh(client)
    data = reports.trajectory(client.id, window=4)
    assert data.trend.n == 4
    assert data.trend.slope == pytest.approx(0.6)
    assert [s["composite"] for s in data.sessions] == values
    summary = ClientSummary.objects.get(client=client)
    # The caseload trend uses the default window of 8: all six sessions.
    assert summary.trend_n == 6
    assert summary.trend_slope == pytest.approx(
        reports.least_squares_slope([float(v) for v in values])
    )
    assert summary.recent_composites == values


def test_composite_is_the_mean_of_in_composite_indicators_only(alice):
    client = make_client(alice)
    s = session(client, alice, weeks_ago(1))
    rate(s, {"flexible": 1, "stable": 4, "river-position": -3})
    refresh(client)
    row = SessionRollup.objects.get(session=s)
    assert row.composite == pytest.approx(2.5)
    assert row.composite_n == 2


# --- Empty, single-session and all-repaired cases ----------------------------------------------


def test_a_client_without_sessions(alice):
    client = make_client(alice)
    refresh(client)
    summary = ClientSummary.objects.get(client=client)
    assert summary.sessions_attended == 0
    assert summary.trend_slope is None
    assert summary.open_ruptures == 0
    data = reports.trajectory(client.id)
    assert data.sessions == [] and data.indicators == [] and data.ruptures == []
    assert data.trend.direction == "none"
    assert data.totals["repair_rate"] is None
    [row] = reports.caseload(alice.id)
    assert row["sessions_attended"] == 0
    assert row["sparkline"]["points"] == ""
    assert row["flags"] == ["No session in 21 days"]


def test_a_single_session(alice):
    client = make_client(alice)
    # Three days and two hours ago, whatever the time of day (a fixed hour on the day half a
    # week ago is four days back in the late morning).
    s = session(client, alice, timezone.now() - timedelta(days=3, hours=2))
    rate_composite(s, 3)
    arousal(s, "WITHIN")
    refresh(client)
    data = reports.trajectory(client.id)
    assert len(data.sessions) == 1
    assert data.sessions[0]["within_share"] == 1
    assert data.trend.n == 1 and data.trend.slope is None
    assert "not enough" in data.trend.statement()
    [row] = reports.caseload(alice.id)
    assert row["sessions_attended"] == 1
    assert row["trend"].direction == "none"
    assert row["days_since"] == 3
    assert row["flags"] == ["Note late"]  # attended, ended > 48 h ago, no note


def test_all_ruptures_repaired(alice, bob):
    client = make_client(alice)
    s1 = session(client, alice, weeks_ago(3))
    s2 = session(client, alice, weeks_ago(2))
    repair(rupture(s1, minute=10), s1, minute=25)
    repair(rupture(s2, minute=5, rupture_type="CONFRONTATION"), s2, minute=35)
    refresh(client)
    data = reports.trajectory(client.id)
    assert data.totals["ruptures"] == 2
    assert data.totals["open"] == 0
    assert data.totals["repaired_same"] == 2
    assert [r["hours"] for r in data.ruptures] == pytest.approx([0.25, 0.5])
    summary = ClientSummary.objects.get(client=client)
    assert summary.open_ruptures == 0 and summary.open_rupture_at == []
    weeks = TherapistWeek.objects.filter(therapist=alice)
    assert sum(w.ruptures for w in weeks) == 2
    assert sum(w.repaired_same_session for w in weeks) == 2
    assert sum(w.repaired_within_two for w in weeks) == 2
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["repaired_same_share"] == 1
    assert person["repaired_two_share"] == 1
    assert person["ruptures_per_10"] == pytest.approx(10.0)  # 2 ruptures in 2 sessions
    # Median of 0.25 h and 0.5 h.
    assert person["repair_median_hours"] == pytest.approx(0.375)
    assert person["open_old"] == 0


# --- Ruptures across sessions, window of tolerance, attunement -----------------------------------


def test_ruptures_repaired_later_and_left_open(alice, bob):
    client = make_client(alice)
    s = [session(client, alice, weeks_ago(w)) for w in (8, 7, 6, 5)]
    r1 = rupture(s[0], minute=10)
    repair(r1, s[1], minute=10)  # one week later: 168 h, one session later
    r2 = rupture(s[0], minute=20)
    repair(r2, s[3], minute=20)  # three sessions later: not "within two"
    rupture(s[2], minute=30)  # open, four weeks old
    refresh(client)
    data = reports.trajectory(client.id)
    by_code = {r["code"]: r for r in data.ruptures}
    assert by_code[r1.code]["sessions_later"] == 1
    assert by_code[r1.code]["hours"] == pytest.approx(
        168, abs=1
    )  # DST may move an hour
    assert by_code[r2.code]["sessions_later"] == 3
    opened = [r for r in data.ruptures if r["open"]]
    assert len(opened) == 1 and opened[0]["open_long"]
    weeks = TherapistWeek.objects.filter(therapist=alice)
    assert sum(w.ruptures for w in weeks) == 3
    assert sum(w.repaired_same_session for w in weeks) == 0
    assert sum(w.repaired_within_two for w in weeks) == 1
    [row] = reports.caseload(alice.id)
    assert row["open_ruptures"] == 1
    # Six weeks back at 10:00 local: 41 or 42 whole days, depending on the hour now.
    opened_at = s[2].starts_at + timedelta(minutes=30)
    assert row["oldest_open_days"] == (timezone.now() - opened_at).days
    assert "Rupture open > 14 days" in row["flags"]
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["open_old"] == 1
    assert person["repaired_same_share"] == 0
    assert person["repaired_two_share"] == pytest.approx(1 / 3)


def test_window_of_tolerance_shares_and_attunement_repair_rate(alice):
    client = make_client(alice)
    s = session(client, alice, weeks_ago(1))
    for zone in ("HYPER", "WITHIN", "WITHIN", "HYPO"):
        arousal(s, zone)
    for process in (
        "MATCH",
        "MATCH",
        "MATCH",
        "MISMATCH",
        "MISMATCH",
        "REPAIR",
        "SYNCHRONY",
    ):
        attune(s, process)
    empty = session(client, alice, weeks_ago(0.5))
    refresh(client)
    data = reports.trajectory(client.id)
    first, second = data.sessions
    assert (first["hyper_share"], first["within_share"], first["hypo_share"]) == (
        0.25,
        0.5,
        0.25,
    )
    assert (first["matches"], first["mismatches"], first["attune_repairs"]) == (3, 2, 1)
    assert first["repair_rate"] == 0.5
    assert second["observed"] == 0 and second["within_share"] is None
    assert second["repair_rate"] is None
    assert data.totals["repair_rate"] == 0.5
    assert empty.code == second["code"]


def test_sessions_that_did_not_happen_are_not_points(alice):
    client = make_client(alice)
    session(client, alice, weeks_ago(2), status="CANCELLED")
    session(client, alice, weeks_ago(1), status="NO_SHOW")
    session(client, alice, weeks_ago(-1), status="SCHEDULED")
    refresh(client)
    assert reports.trajectory(client.id).sessions == []
    [row] = reports.caseload(alice.id)
    assert row["next_at"] is not None and row["last_at"] is None


# --- Documentation lag ---------------------------------------------------------------------------


def test_documentation_lag_median_and_late_share(alice, bob):
    client = make_client(alice)
    # Monday and Tuesday of one week, three weeks back.
    monday = weeks_ago(3, hour=9)
    monday -= timedelta(days=monday.weekday())
    s1 = session(client, alice, monday)
    s2 = session(client, alice, monday.replace(hour=14) + timedelta(days=1))
    signed_note(s1, 10)
    signed_note(s2, 80)  # late after the default 72 h
    refresh(client)
    week = TherapistWeek.objects.get(therapist=alice)
    assert week.sessions == 2
    assert week.notes_signed == 2
    assert week.notes_late == 1
    assert week.lag_median_hours == pytest.approx(45)
    summary = TherapistSummary.objects.get(therapist=alice)
    assert summary.lag_median_hours == pytest.approx(45)
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["late_share"] == 0.5
    assert person["sessions_per_week"] == pytest.approx(2 / 12)


def test_unsigned_and_late_notes_on_the_caseload(alice):
    client = make_client(alice)
    make_note(session(client, alice, weeks_ago(1)))  # draft, a week old: late
    make_note(session(client, alice, weeks_ago(0) - timedelta(hours=2)))  # draft, fresh
    signed_note(session(client, alice, weeks_ago(2)), 5)
    refresh(client)
    [row] = reports.caseload(alice.id)
    assert row["unsigned"] == 2
    assert row["late"] == 1
    assert "Note late" in row["flags"]


def test_declining_trend_is_flagged_and_counted_for_the_supervisor(alice, bob):
    client = make_client(alice)
    for k, value in enumerate([4, 3, 3, 2, 1]):
        rate_composite(session(client, alice, weeks_ago(5 - k)), value)
    refresh(client)
    [row] = reports.caseload(alice.id)
    assert row["trend"].slope == pytest.approx(-0.7)
    assert "Declining trend" in row["flags"]
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["declining"] == 1


def test_cosignature_queue_counts_only_this_supervisors_queue(alice, bob, charlie):
    from sessions.models import ProgressNote

    client = make_client(alice)
    note = make_note(session(client, alice, weeks_ago(1)))
    ProgressNote.objects.filter(pk=note.pk).update(
        status=ProgressNote.Status.AWAITING_COSIGNATURE
    )
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["cosign_queue"] == 1
    assert person["active_clients"] == 1


# --- Practice counts ------------------------------------------------------------------------------


def test_practice_counts(alice, bob, charlie, ada):
    from accounts.models import User

    User.objects.filter(pk=charlie.pk).update(is_active=False)
    client = make_client(alice)
    signed_note(session(client, alice, weeks_ago(1)), 3)
    refresh(client)
    counts = reports.practice_counts()
    people = {row["role"]: row for row in counts["people"]}
    assert people["THERAPIST"]["active"] == 1
    assert people["THERAPIST"]["deactivated"] == 1
    assert people["SUPERVISOR"]["active"] == 1
    assert people["ADMIN"]["active"] == 1
    assert counts["open_links"] == 1
    assert sum(w["documented"] for w in counts["weeks"]) == 1
    assert sum(w["sessions"] for w in counts["weeks"]) == 1
    assert len(counts["weeks"]) == 26
    if counts["mfa_installed"]:
        assert people["THERAPIST"]["mfa"] == 1  # charlie is deactivated


# --- The refresh ------------------------------------------------------------------------------------


def _snapshot():
    tables = [
        "dashboards_sessionrollup",
        "dashboards_clientweek",
        "dashboards_clientsummary",
        "dashboards_therapistweek",
        "dashboards_therapistsummary",
    ]
    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            # Surrogate ids and refreshed_at move with every refresh; nothing else may.
            cursor.execute(
                f"SELECT (to_jsonb(t) - 'id' - 'refreshed_at')::text AS row "
                f"FROM {table} t ORDER BY 1"
            )
            out[table] = [row[0] for row in cursor.fetchall()]
    return out


def test_refresh_is_idempotent_and_matches_the_full_refresh(alice, charlie):
    clients = [make_client(alice), make_client(charlie)]
    for c, therapist in zip(clients, (alice, charlie), strict=True):
        for k in range(3):
            s = session(c, therapist, weeks_ago(4 - k))
            rate_composite(s, k + 1)
            arousal(s, "WITHIN")
            r = rupture(s)
            if k:
                repair(r, s)
            signed_note(s, 20 + k)
    for c in clients:
        refresh(c)
    first = _snapshot()
    for c in clients:
        refresh(c)
    assert _snapshot() == first
    services.rollup_refresh_all()
    assert _snapshot() == first
    assert SessionRollup.objects.count() == 6
    assert ClientWeek.objects.count() == 6


def test_request_rollup_refreshes_after_commit(
    alice, django_capture_on_commit_callbacks
):
    client = make_client(alice)
    s = session(client, alice, weeks_ago(1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rate_composite(s, 2)
        services.request_rollup(client)
        assert not SessionRollup.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    assert SessionRollup.objects.get(session=s).composite == 2


def test_a_change_is_reflected_after_the_next_refresh(alice):
    client = make_client(alice)
    s = session(client, alice, weeks_ago(1))
    r = rupture(s)
    refresh(client)
    assert ClientSummary.objects.get(client=client).open_ruptures == 1
    repair(r, s)
    refresh(client)
    assert ClientSummary.objects.get(client=client).open_ruptures == 0


def test_a_flat_trend_never_reads_minus_zero():
    trend = reports.Trend(slope=-0.001, n=8)
    assert trend.statement().startswith("Composite +0.0 over the last 8 rated sessions")
    assert "slope +0.00 per session" in trend.statement()


def test_refresh_rollups_command_and_nightly_task(alice):
    from django.core.management import call_command

    from dashboards.tasks import rollup_refresh_all, rollup_refresh_client

    client = make_client(alice)
    rate_composite(session(client, alice, weeks_ago(1)), 3)
    call_command("refresh_rollups", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert SessionRollup.objects.get(client=client).composite == 3
    SessionRollup.objects.all().delete()
    rollup_refresh_all.delay()  # eager in tests: runs now
    assert SessionRollup.objects.filter(client=client).count() == 1
    SessionRollup.objects.all().delete()
    rollup_refresh_client.delay(client.id)
    assert SessionRollup.objects.filter(client=client).count() == 1


def test_the_nightly_refresh_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-rollups-nightly"]
    assert entry["task"] == "dashboards.tasks.rollup_refresh_all"


def test_duration_labels():
    assert reports.duration_label(None) == "–"
    assert reports.duration_label(0.375) == "22 min"
    assert reports.duration_label(5.25) == "5.2 h"
    assert reports.duration_label(72) == "3.0 days"


def test_the_range_shows_the_last_sessions_with_their_own_values(alice):
    client = make_client(alice)
    for k, value in enumerate([0, 1, 2, 3, 4]):
        s = session(client, alice, weeks_ago(6 - k))
        rate_composite(s, value)
        arousal(s, "WITHIN")
    rupture(
        session(client, alice, weeks_ago(7))
    )  # before the range, open: still listed
    refresh(client)
    data = reports.trajectory(client.id, last=2, window=5)
    assert [s["seq"] for s in data.sessions] == [5, 6]
    assert [s["composite"] for s in data.sessions] == [3, 4]
    flexible = next(i for i in data.indicators if i["code"] == "flexible")
    assert flexible["values"] == [3, 4]
    assert data.trend.n == 5 and data.trend.slope == pytest.approx(1.0)
    assert len(data.ruptures) == 1 and data.ruptures[0]["open"]
    assert data.first_seq == 5
