"""The composite is honest about its scale: only indicators on the composite's one declared
scale may join it, its "declining" threshold follows from that scale, and every page, chart
and table that shows it names the indicators it averages."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from dashboards import reports, services
from dashboards.models import SessionRollup
from sessions.capture import services as capture
from sessions.models import COMPOSITE_SCALE, IntegrationIndicator, Scale
from tests.dashboards.helpers import rate, rate_composite, session, weeks_ago
from tests.factories import make_client, mark_recently_authenticated

pytestmark = pytest.mark.django_db

FACES = "Flexible, Adaptive, Coherent, Energized, Stable"
# The composite's declared members: every active in-composite indicator (DOMAIN.md 2.2-2.5).
DECLARED = (
    FACES
    + ", Fewer emotional triggers, Better boundaries, Greater clarity and confidence, "
    "Stronger sense of self, Healthier relationships, Mind, Brain / body, Relationships"
)


def _indicator_form(**overrides) -> dict:
    return {
        "code": "session-energy",
        "group": "PRACTICE",
        "label": "Session energy",
        "description": "",
        "scale_min": "0",
        "scale_max": "10",
        "min_label": "none",
        "max_label": "a lot",
        "in_composite": "on",
        "sort_order": "500",
        **overrides,
    }


# --- Mixed scales are refused ----------------------------------------------------------------


def test_the_form_refuses_a_0_to_10_indicator_in_the_0_to_4_composite(client, ada):
    client.force_login(ada)
    response = client.post(reverse("sessions:indicator_create"), _indicator_form())
    assert response.status_code == 400
    html = response.content.decode()
    assert "The composite averages indicators rated 0 to 4" in html
    assert "this one is rated 0 to 10" in html
    # Beside the field, with what was typed kept.
    assert 'id="id_in_composite_error"' in html or "field-error" in html
    assert 'value="Session energy"' in html and 'value="10"' in html
    assert not IntegrationIndicator.objects.filter(code="session-energy").exists()


def test_the_same_indicator_outside_the_composite_is_accepted(client, ada):
    client.force_login(ada)
    form = _indicator_form()
    del form["in_composite"]
    response = client.post(reverse("sessions:indicator_create"), form)
    assert response.status_code == 302
    indicator = IntegrationIndicator.objects.get(code="session-energy")
    assert not indicator.in_composite and indicator.scale == Scale(0, 10)


def test_a_0_to_4_practice_indicator_may_join(client, ada):
    client.force_login(ada)
    response = client.post(
        reverse("sessions:indicator_create"), _indicator_form(scale_max="4")
    )
    assert response.status_code == 302
    assert IntegrationIndicator.objects.get(code="session-energy").in_composite


def test_the_service_refuses_it_too(ada):
    with pytest.raises(capture.CaptureError) as refused:
        capture.indicator_create(
            data={
                "code": "session-energy",
                "group": "PRACTICE",
                "label": "Session energy",
                "scale_min": 1,
                "scale_max": 5,
                "in_composite": True,
            },
            by=ada,
        )
    assert refused.value.field == "in_composite"


def test_the_database_refuses_a_mixed_composite_written_directly():
    with pytest.raises(IntegrityError), transaction.atomic():
        IntegrationIndicator.objects.create(
            code="sneaky", group="PRACTICE", label="Sneaky", scale_max=10
        )
    river = IntegrationIndicator.objects.get(code="river-position")
    river.in_composite = True
    with pytest.raises(IntegrityError), transaction.atomic():
        river.save(update_fields=["in_composite"])


def test_only_indicators_on_the_composite_scale_are_averaged(alice):
    """Even a row that escaped the constraint (dropped, or an old database) stays out."""
    client = make_client(alice)
    s = session(client, alice, weeks_ago(1))
    rate(s, {"flexible": 1, "stable": 3, "river-position": 3})
    services.rollup_refresh_client(client_id=client.id)
    row = SessionRollup.objects.get(session=s)
    assert (row.composite, row.composite_n) == (2, 2)


# --- The threshold follows the scale ---------------------------------------------------------


def test_the_threshold_is_a_share_of_the_scale_range():
    # 7.5% of the range: 0.075 x 4 = 0.3 (today's value on 0-4); 0.075 x 10 = 0.75.
    assert reports.trend_threshold(Scale(0, 4)) == pytest.approx(0.3)
    assert reports.trend_threshold(Scale(0, 10)) == pytest.approx(0.75)
    assert reports.trend_threshold(Scale(-3, 3)) == pytest.approx(0.45)
    assert reports.trend_threshold() == reports.trend_threshold(COMPOSITE_SCALE)


def test_the_same_fall_is_declining_on_0_to_4_but_not_on_0_to_10():
    # slope -0.05 over 8 sessions: change = -0.05 x 7 = -0.35.
    on_four = reports.Trend(slope=-0.05, n=8, scale=Scale(0, 4))
    on_ten = reports.Trend(slope=-0.05, n=8, scale=Scale(0, 10))
    assert on_four.change == pytest.approx(-0.35)
    assert on_four.declining and on_four.direction == "down"
    assert not on_ten.declining and on_ten.direction == "flat"
    # slope -0.1 over 9 sessions: change = -0.8, past both thresholds (0.3 and 0.75).
    assert reports.Trend(slope=-0.1, n=9, scale=Scale(0, 10)).declining
    # A rise of 0.7 is "up" on 0-4, "flat" on 0-10.
    assert reports.Trend(slope=0.1, n=8, scale=Scale(0, 4)).direction == "up"
    assert reports.Trend(slope=0.1, n=8, scale=Scale(0, 10)).direction == "flat"


def test_the_supervisors_declining_count_uses_the_same_threshold(alice, bob):
    """Composites 3.0, 3.0, 2.8, 2.6: slope -0.14, change -0.42 over 4 sessions, past 0.3
    (0-4) though not past 0.75 (0-10). Caseload flag and supervisor's count agree."""
    client = make_client(alice)
    faces = ("flexible", "adaptive", "coherent", "energized", "stable")
    for k, values in enumerate(
        [(3, 3, 3, 3, 3), (3, 3, 3, 3, 3), (3, 3, 3, 3, 2), (3, 3, 3, 2, 2)]
    ):
        rate(
            session(client, alice, weeks_ago(5 - k)),
            dict(zip(faces, values, strict=True)),
        )
    services.rollup_refresh_client(client_id=client.id)
    [row] = reports.caseload(alice.id)
    assert row["trend"].change == pytest.approx(-0.42)
    assert row["trend"].declining and "Declining trend" in row["flags"]
    assert not reports.Trend(row["trend"].slope, 4, scale=Scale(0, 10)).declining
    [person] = reports.supervision(bob.id, [alice.id])
    assert person["declining"] == 1


# --- Every view of the composite names its members -------------------------------------------


@pytest.fixture
def rated(alice):
    client = make_client(alice, legal_name="Dana Example")
    for k in range(3):
        s = session(client, alice, weeks_ago(4 - k))
        rate_composite(s, k + 1)
        rate(s, {"river-position": 1})
    services.rollup_refresh_client(client_id=client.id)
    return client


def test_the_trajectory_names_the_composite_members(client, alice, rated):
    client.force_login(alice)
    html = client.get(
        reverse("dashboards:trajectory", args=[rated.code])
    ).content.decode()
    assert f"the descriptive mean of {FACES} (" in html  # the trend's explanation
    assert f"Composite (mean of {FACES})" in html  # the chart's line toggle
    assert (
        f"the composite is the mean of {FACES}." in html
    )  # the chart's text alternative
    assert f"the composite is the mean of {FACES}</caption>" in html  # the data table
    assert "each rated 0 to 4" in html and "a fitted fall of 0.3 points" in html
    assert (
        "Position on the river" not in html.split("Composite (mean of")[1].split(")")[0]
    )


def test_the_caseload_and_supervision_pages_name_the_composite_members(
    client, alice, bob, rated
):
    client.force_login(alice)
    html = client.get(reverse("dashboards:caseload")).content.decode()
    assert f"the descriptive mean of {DECLARED} (" in html
    assert (
        f"Integration (composite): the mean of {DECLARED}." in html
    )  # the table caption
    assert "7.5% of the scale's range" in html
    client.force_login(bob)
    html = client.get(reverse("dashboards:supervision")).content.decode()
    assert (
        'Clients declining: <a class="source-link" href="/sources/#composite">' in html
    )
    assert f"the descriptive mean of {DECLARED} (" in html


def test_a_practice_indicator_that_joins_is_named_with_its_status(client, alice, ada):
    capture.indicator_create(
        data={
            "code": "mindsight-insight",
            "group": "PRACTICE",
            "label": "Mindsight: insight",
            "in_composite": True,
            "sort_order": 500,
        },
        by=ada,
    )
    rec = make_client(alice)
    s = session(rec, alice, weeks_ago(1))
    rate(s, {"flexible": 2, "mindsight-insight": 4})
    services.rollup_refresh_client(client_id=rec.id)
    client.force_login(alice)
    html = client.get(reverse("dashboards:caseload")).content.decode()
    assert (
        f'{DECLARED} (<a class="status-label" href="/sources/#status-clinician-conceptual">'
        "Clinician-rated, non-standardised</a>); Mindsight: insight (<a "
        'class="status-label" href="/sources/#status-user-defined">Defined by the practice</a>)'
    ) in html


def test_the_csv_exports_name_the_composite_members(client, alice, rated):
    client.force_login(alice)
    mark_recently_authenticated(client, alice)
    for url, members in (
        (reverse("dashboards:trajectory_csv", args=[rated.code, "indicators"]), FACES),
        (reverse("dashboards:caseload_csv"), DECLARED),
    ):
        header = next(csv.reader(io.StringIO(client.get(url).content.decode())))
        [column] = [h for h in header if "composite" in h]
        assert column.endswith(f"(mean of {members.replace(', ', '; ')}; each 0-4)")
