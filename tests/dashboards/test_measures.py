"""PHQ-9 and GAD-7 on the dashboards: the rollup of first and latest totals, the caseload's
flags (reliable deterioration, no reliable improvement after 12 sessions), the supervision
shares and the order by concern, the unrepaired ruptures one click away, the trajectory's
shared time axis and the client page's small chart. Hand-built data, hand-computed answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dashboards import reports, services
from dashboards.models import ClientMeasure
from ipnb_notes import practice
from ipnb_notes.models import OutboxMessage
from measures import instruments
from measures import reports as measure_reports
from tests.dashboards.helpers import (
    administer,
    course,
    rate_composite,
    repair,
    rupture,
    session,
)
from tests.factories import (
    make_client,
    make_note,
    make_supervision,
    make_user,
)

pytestmark = pytest.mark.django_db
N = measure_reports.NO_IMPROVEMENT_AFTER_SESSIONS


def refresh(*clients):
    for client in clients:
        services.rollup_refresh_client(client_id=client.id)


def caseload_row(therapist, client) -> dict:
    return next(r for r in reports.caseload(therapist.id) if r["id"] == client.id)


def _login(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


# --- The rollup -----------------------------------------------------------------------------


def test_rollup_keeps_first_and_latest_complete_totals(alice):
    client = make_client(alice)
    course(client, alice, "PHQ9", [None, 18, 15, None, 9])
    course(client, alice, "GAD7", [12])
    refresh(client)
    phq = ClientMeasure.objects.get(client=client, instrument="PHQ9")
    # An unanswered item leaves no total: the first and latest scored ones count.
    assert (phq.first_total, phq.last_total, phq.scored) == (18, 9, 3)
    gad = ClientMeasure.objects.get(client=client, instrument="GAD7")
    assert (gad.first_total, gad.last_total, gad.scored) == (12, 12, 1)
    # One GAD-7 is not a change: only the PHQ-9's counts.
    row = caseload_row(alice, client)
    assert list(row["outcome"].changes) == ["PHQ9"]
    assert row["outcome"].short == ["PHQ-9 18 → 9 (Recovered)"]


def test_an_administration_queues_the_clients_refresh(alice):
    client = make_client(alice)
    before = OutboxMessage.objects.count()
    administer(client, "PHQ9", 7, timezone.now())
    message = OutboxMessage.objects.order_by("pk").last()
    assert OutboxMessage.objects.count() == before + 1
    assert message.task == "dashboards.tasks.rollup_refresh_client"
    assert message.args == [client.id]


def test_full_refresh_matches_the_client_refresh(alice):
    client = make_client(alice)
    course(client, alice, "PHQ9", [20, 12])
    refresh(client)
    one = list(
        ClientMeasure.objects.values_list("instrument", "first_total", "last_total")
    )
    services.rollup_refresh_all()
    assert (
        list(
            ClientMeasure.objects.values_list("instrument", "first_total", "last_total")
        )
        == one
        == [("PHQ9", 20, 12)]
    )


# --- The caseload's flags -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("totals", "flagged"),
    [
        ([8, 14], True),  # up 6 = the PHQ-9's reliable change: deterioration
        ([8, 13], False),  # up 5: not reliable
        ([14, 8], False),  # down 6: improvement
    ],
)
def test_reliable_deterioration_on_the_phq9_boundary(alice, totals, flagged):
    client = make_client(alice)
    course(client, alice, "PHQ9", totals)
    refresh(client)
    row = caseload_row(alice, client)
    assert (measure_reports.FLAG_DETERIORATION in row["flags"]) is flagged


@pytest.mark.parametrize(
    ("totals", "flagged"),
    [([6, 10], True), ([6, 9], False)],  # the GAD-7's reliable change is 4
)
def test_reliable_deterioration_on_the_gad7_boundary(alice, totals, flagged):
    client = make_client(alice)
    course(client, alice, "GAD7", totals)
    refresh(client)
    row = caseload_row(alice, client)
    assert (measure_reports.FLAG_DETERIORATION in row["flags"]) is flagged


@pytest.mark.parametrize(
    ("sessions", "totals", "flagged"),
    [
        (N, [15, 11], True),  # N sessions, down 4 < 6: no reliable improvement
        (N - 1, [15, 11], False),  # one session short of N
        (N, [15, 9], False),  # down 6: reliable improvement
        (N + 3, [15], False),  # a single total: nothing to compare
    ],
)
def test_no_reliable_improvement_after_n_sessions(alice, sessions, totals, flagged):
    client = make_client(alice)
    course(client, alice, "PHQ9", totals, sessions=sessions)
    refresh(client)
    row = caseload_row(alice, client)
    assert row["sessions_attended"] == sessions
    assert (measure_reports.FLAG_NO_IMPROVEMENT in row["flags"]) is flagged


def test_both_measures_follow_the_nhs_paired_rule(alice):
    """Improved on the PHQ-9 (down 8) but deteriorated on the GAD-7 (up 5): not an
    improvement, a deterioration, and after N sessions "no reliable improvement"."""
    client = make_client(alice)
    course(client, alice, "PHQ9", [18, 10], sessions=N)
    course(client, alice, "GAD7", [5, 10])
    refresh(client)
    row = caseload_row(alice, client)
    assert not row["outcome"].improved
    assert row["outcome"].deteriorated
    assert measure_reports.FLAG_DETERIORATION in row["flags"]
    assert measure_reports.FLAG_NO_IMPROVEMENT in row["flags"]


def test_the_flags_reuse_the_arithmetic_of_measures_change(alice):
    """The dashboards' verdict is measures.change's, not a second implementation."""
    from measures.change import change

    for first in range(0, 28, 3):
        for last in range(0, 28, 3):
            ours = measure_reports.outcome(
                [
                    {
                        "instrument": "PHQ9",
                        "scored": 2,
                        "first_total": first,
                        "last_total": last,
                    }
                ]
            )
            theirs = change(instruments.PHQ9, first, last)
            assert ours.improved == theirs.reliable_improvement
            assert ours.deteriorated == theirs.reliable_deterioration


def test_the_session_count_is_declared_once_and_shown(alice):
    assert str(N) in measure_reports.FLAG_NO_IMPROVEMENT
    for spec in instruments.INSTRUMENTS.values():
        assert f"{spec.name} {spec.change.reliable_change} points" in (
            measure_reports.rule_statement()
        )
    html = _login(alice).get(reverse("dashboards:caseload")).content.decode()
    assert f"no reliable improvement after {N} sessions" in html


def test_caseload_page_shows_the_change_and_the_flag(alice):
    client = make_client(alice, legal_name="Erin Example")
    course(client, alice, "PHQ9", [9, 16])
    refresh(client)
    html = _login(alice).get(reverse("dashboards:caseload")).content.decode()
    assert "PHQ-9 9 → 16 (Deteriorated)" in html
    assert '<span class="badge badge-warn">Reliable deterioration</span>' in html


# --- The supervision dashboard --------------------------------------------------------------


def test_supervision_shares_of_reliable_improvement_and_deterioration(alice, bob):
    improved, worse, same, unmeasured = (make_client(alice) for _ in range(4))
    course(improved, alice, "PHQ9", [16, 8])
    course(worse, alice, "GAD7", [3, 9])
    course(same, alice, "PHQ9", [12, 10])
    course(unmeasured, alice, "PHQ9", [12])  # one total: not counted
    refresh(improved, worse, same, unmeasured)
    [person] = reports.supervision(bob.id, [alice.id])
    change = person["change"]
    assert (change["measured"], change["improved"], change["deteriorated"]) == (3, 1, 1)
    assert change["improved_share"] == pytest.approx(1 / 3)
    assert change["deteriorated_share"] == pytest.approx(1 / 3)
    html = _login(bob).get(reverse("dashboards:supervision")).content.decode()
    assert "1 of 3 (33%)" in html


def test_supervision_shares_without_paired_scores(alice, bob):
    make_client(alice)
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["change"]["measured"] == 0
    assert person["change"]["improved_share"] is None


def test_notes_late_now_follow_the_practice_threshold(alice, bob, ada):
    client = make_client(alice)
    now = timezone.now()
    # Ended 4 days ago without a signed note (a draft), and one with no note at all.
    make_note(session(client, alice, now - timedelta(days=4)))
    session(client, alice, now - timedelta(days=5))
    # Ended 30 hours ago: late only under a 24 h threshold.
    make_note(session(client, alice, now - timedelta(hours=31)))
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["late_now"] == 2
    practice.set_note_late_hours(24, by=ada)
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["late_now"] == 3


def _supervisee(bob, name: str):
    user = make_user(email=f"{name.lower()}@example.org", full_name=f"{name} Therapist")
    make_supervision(bob, user)
    return user


def test_supervisees_are_ordered_by_concern(alice, bob):
    """Open ruptures past 14 days first, then declining clients, late notes and the
    co-signature queue; the name breaks ties."""
    now = timezone.now()
    days = reports.RUPTURE_OPEN_DAYS
    zoe, yan, xia = (_supervisee(bob, n) for n in ("Zoe", "Yan", "Xia"))
    # Zoe: one rupture open past the threshold (and nothing else).
    zc = make_client(zoe)
    rupture(session(zc, zoe, now - timedelta(days=days + 2)))
    # Yan: a declining client and one rupture open for less than the threshold.
    yc = make_client(yan)
    for k, value in enumerate([4, 3, 3, 2, 1]):
        rate_composite(session(yc, yan, now - timedelta(weeks=5 - k, hours=3)), value)
    rupture(session(yc, yan, now - timedelta(days=days - 2)))
    # Xia: two late notes only.
    xc = make_client(xia)
    for d in (5, 6):
        make_note(session(xc, xia, now - timedelta(days=d)))
    refresh(zc, yc, xc)
    people = reports.supervision(bob.id, [alice.id, zoe.id, yan.id, xia.id])
    order = [p["full_name"] for p in people]
    assert order == [
        "Zoe Therapist",
        "Yan Therapist",
        "Xia Therapist",
        "Alice Therapist",
    ]
    by_name = {p["full_name"]: p for p in people}
    assert by_name["Zoe Therapist"]["open_old"] == 1
    assert by_name["Yan Therapist"]["open_old"] == 0
    assert by_name["Yan Therapist"]["open_all"] == 1
    assert by_name["Yan Therapist"]["declining"] == 1
    assert by_name["Xia Therapist"]["late_now"] == 2
    html = _login(bob).get(reverse("dashboards:supervision")).content.decode()
    assert (
        html.index("Zoe Therapist")
        < html.index("Yan Therapist")
        < html.index("Xia Therapist")
    )
    assert reports.concern_statement() in html


def test_concern_ties_fall_back_to_the_co_signature_queue_then_the_name():
    a = {
        "full_name": "A",
        "open_old": 0,
        "declining": 0,
        "late_now": 0,
        "cosign_queue": 1,
    }
    b = {
        "full_name": "B",
        "open_old": 0,
        "declining": 0,
        "late_now": 0,
        "cosign_queue": 2,
    }
    c = {
        "full_name": "C",
        "open_old": 0,
        "declining": 0,
        "late_now": 0,
        "cosign_queue": 1,
    }
    people = sorted([c, a, b], key=lambda p: p["full_name"])
    people.sort(key=reports.concern_key)
    assert [p["full_name"] for p in people] == ["B", "A", "C"]


# --- The unrepaired ruptures, one click away ------------------------------------------------


def test_unrepaired_ruptures_page_lists_each_with_its_session(alice, bob, charlie):
    from audit.models import AuditEvent

    now = timezone.now()
    client = make_client(alice, legal_name="Gale Example")
    old = session(client, alice, now - timedelta(days=20))
    recent = session(client, alice, now - timedelta(days=3))
    open_old = rupture(old, minute=12)
    repaired = rupture(old, minute=30)
    repair(repaired, recent)
    open_recent = rupture(recent, minute=40, rupture_type="CONFRONTATION")
    other = make_client(charlie)
    rupture(session(other, charlie, now - timedelta(days=30)))
    refresh(client)
    url = reverse("dashboards:supervisee_ruptures", args=[alice.code])
    response = _login(bob).get(url)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["code"] for r in rows] == [open_old.code, open_recent.code]
    assert [r["open_long"] for r in rows] == [True, False]
    html = response.content.decode()
    assert reverse("sessions:session_detail", args=[old.code]) in html
    assert reverse("sessions:session_detail", args=[recent.code]) in html
    assert "Confrontation" in html and "Gale Example" in html
    event = AuditEvent.objects.filter(action="supervision.ruptures_view").latest("seq")
    assert event.changes["clients"] == [str(client.code)]
    # The supervision table links to it.
    table = _login(bob).get(reverse("dashboards:supervision")).content.decode()
    assert url in table
    # Only a current supervisor sees it: the supervisee herself and others get 404.
    assert _login(alice).get(url).status_code == 404
    assert (
        _login(bob)
        .get(reverse("dashboards:supervisee_ruptures", args=[charlie.code]))
        .status_code
        == 404
    )


# --- The trajectory: one time axis ----------------------------------------------------------


def test_trajectory_places_measures_composite_and_ruptures_on_one_axis(alice):
    client = make_client(alice)
    now = timezone.now()
    s1 = session(client, alice, now - timedelta(days=21))
    s2 = session(client, alice, now - timedelta(days=14))
    rate_composite(s1, 1)
    rate_composite(s2, 3)
    rupture(s2)
    administer(client, "PHQ9", 17, s1.starts_at + timedelta(hours=1), session=s1)
    administer(
        client, "PHQ9", 11, now - timedelta(days=10)
    )  # by link, between sessions
    administer(client, "GAD7", None, now - timedelta(days=10))  # incomplete: no point
    refresh(client)
    data = reports.trajectory(client.id)
    chart = reports.timeline_chart(data)
    day = lambda at: timezone.localtime(at).date().isoformat()  # noqa: E731
    d1, d2, d3 = day(s1.starts_at), day(s2.starts_at), day(now - timedelta(days=10))
    assert chart["labels"] == [d1, d2, d3]
    assert chart["composite"] == [1, 3, None]
    [phq] = chart["instruments"]  # the GAD-7 has no total: no line
    assert phq["code"] == "PHQ9" and phq["values"] == [17, None, 11]
    assert chart["ruptures"] == [{"at": d2, "open": True, "type": "WITHDRAWAL"}]
    # The table says why the GAD-7 has no total.
    assert [m["why_no_total"] for m in data.measures][-1].endswith(
        "the total is not computed"
    )


def test_chart_bands_come_from_the_registry():
    charted = {i["code"]: i for i in measure_reports.chart_instruments()}
    assert set(charted) == set(instruments.INSTRUMENTS)
    for code, spec in instruments.INSTRUMENTS.items():
        assert charted[code]["max"] == spec.max_total
        assert [(b["low"], b["high"], b["label"]) for b in charted[code]["bands"]] == [
            (b.low, b.high, b.label) for b in spec.bands
        ]


def test_trajectory_page_carries_the_measures(alice):
    client = make_client(alice)
    s = session(client, alice, timezone.now() - timedelta(days=7))
    administer(client, "PHQ9", 12, s.starts_at, session=s)
    refresh(client)
    html = (
        _login(alice).get(reverse("dashboards:trajectory", args=[client.code])).content
    )
    html = html.decode()
    assert 'id="chart-timeline"' in html
    assert "Moderately severe" in html  # the bands, from the registry, in the caption
    assert "Moderate</td>" in html  # the band of 12
    assert reverse("sessions:session_detail", args=[s.code]) in html


# --- The client page's small chart ---------------------------------------------------------


def test_client_page_draws_a_small_trajectory(alice):
    client = make_client(alice)
    now = timezone.now()
    for k, value in enumerate([1, 2, 3]):
        rate_composite(session(client, alice, now - timedelta(weeks=3 - k)), value)
    course(client, alice, "GAD7", [15, 9])
    refresh(client)
    mini = reports.mini_trajectory(client.id)
    assert [line["code"] for line in mini["lines"]] == ["composite", "GAD7"]
    composite, gad = mini["lines"]
    assert composite["latest"] == "3.0" and composite["n"] == 3
    assert gad["latest"] == "9" and gad["scale"] == "0 to 21"
    # The top of the composite's scale is the top of the box; x runs over the dates.
    ys = [float(p.split(",")[1]) for p in composite["points"].split()]
    assert ys[0] > ys[1] > ys[2]
    html = _login(alice).get(reverse("clients:client_detail", args=[client.code]))
    html = html.content.decode()
    assert '<figure class="mini-trajectory">' in html
    assert "GAD-7 total: latest 9" in html
    assert reverse("dashboards:trajectory", args=[client.code]) in html


def test_client_page_without_data_says_so(alice):
    client = make_client(alice)
    assert reports.mini_trajectory(client.id)["lines"] == []
    html = _login(alice).get(reverse("clients:client_detail", args=[client.code]))
    assert "No rated session or questionnaire yet." in html.content.decode()


def test_caseload_csv_carries_the_change_and_the_flags(alice):
    import csv
    import io

    from tests.factories import mark_recently_authenticated

    client = make_client(alice)
    course(client, alice, "GAD7", [4, 11])
    refresh(client)
    browser = _login(alice)
    mark_recently_authenticated(browser, alice)
    response = browser.get(reverse("dashboards:caseload_csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response).decode())))
    assert rows[0]["phq9_gad7_change"] == "GAD-7 4 → 11 (Deteriorated)"
    assert measure_reports.FLAG_DETERIORATION in rows[0]["flags"]
