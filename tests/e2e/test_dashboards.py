"""Each dashboard loads in Chromium, draws its charts, toggles an indicator line, opens its
data table and passes axe."""

from __future__ import annotations

import re

import pytest

from dashboards import services
from tests.dashboards.helpers import (
    arousal,
    attune,
    ensure_indicators,
    rate,
    rate_composite,
    repair,
    rupture,
    session,
    signed_note,
    weeks_ago,
)
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_chart(page, chart_id: str, timeout: float = 10) -> None:
    """Poll with page.evaluate: wait_for_function would eval() in the page, which CSP forbids."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(f"!!(window.Chart && Chart.getChart('{chart_id}'))"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(
        f"chart {chart_id} was not drawn: "
        + page.evaluate("typeof Chart + ' ' + document.scripts.length")
    )


@pytest.fixture
def record(alice):
    ensure_indicators()
    client = make_client(alice, legal_name="Dana Example")
    for k in range(5):
        s = session(client, alice, weeks_ago(6 - k))
        rate_composite(s, 1 + k % 3)
        rate(s, {"river-position": 1})
        arousal(s, "WITHIN")
        arousal(s, "HYPER")
        attune(s, "MATCH")
        attune(s, "MISMATCH")
        r = rupture(s)
        if k % 2:
            repair(r, s)
        signed_note(s, 20 + k * 10)
    services.rollup_refresh_client(client_id=client.id)
    return client


def test_trajectory_charts_toggle_and_table(page, live_server, alice, record):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Nothing may break the CSP, before or after an htmx swap redraws the charts.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "favicon" not in r.url
            else None
        ),
    )
    login(page, live_server, alice)
    page.goto(f"{live_server.url}/dashboards/clients/{record.code}/")
    try:
        wait_chart(page, "chart-indicators")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; errors: {[e for e in errors if 'http' in e]}; "
            + page.evaluate(
                "String(!!document.getElementById('trajectory-data')) + ' ' + String(!!document.getElementById('chart-indicators'))"
            )
        ) from None
    visible = "Chart.getChart('chart-indicators').data.datasets.filter((d, i) => Chart.getChart('chart-indicators').isDatasetVisible(i)).length"
    before = page.evaluate(visible)
    box = page.get_by_role("checkbox", name="Flexible", exact=True)
    assert box.is_checked()
    box.uncheck()
    assert page.evaluate(visible) == before - 1
    page.get_by_role("checkbox", name="Stable", exact=True).uncheck()
    assert page.evaluate(visible) == before - 2
    page.get_by_text("Data table: integration indicators").click()
    table = page.get_by_role("table", name="Ratings per session")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 5
    for chart in ("chart-zones", "chart-ruptures", "chart-attunement"):
        assert page.evaluate(f"!!Chart.getChart('{chart}')")
    assert_no_serious_axe_violations(page)
    # An htmx filter change re-renders the body and redraws the charts.
    page.get_by_label("Trend window (sessions)").fill("3")
    page.get_by_label("Trend window (sessions)").press("Tab")
    page.locator(
        ".trend-statement", has_text="over the last 3 rated sessions"
    ).wait_for()
    try:
        wait_chart(page, "chart-indicators")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; errors: {errors}") from None
    assert "window=3" in page.url
    assert not errors, errors


def test_caseload_dashboard(page, live_server, alice, record):
    login(page, live_server, alice)
    page.goto(f"{live_server.url}/dashboards/caseload/")
    assert page.get_by_role("heading", name="My caseload").is_visible()
    row = page.get_by_role("row", name="Dana Example")
    assert row.locator("svg.spark").count() == 1
    page.get_by_label("Sort by").select_option("name")
    page.wait_for_url("**sort=name**")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Dana Example").click()
    page.wait_for_url(f"**/dashboards/clients/{record.code}/")


def test_supervision_dashboard_and_drill_down(page, live_server, alice, bob, record):
    login(page, live_server, bob)
    page.goto(f"{live_server.url}/dashboards/")
    page.wait_for_url("**/dashboards/supervision/")
    assert page.get_by_role("heading", name="Supervision dashboard").is_visible()
    page.get_by_text(f"Data table: {alice.full_name}, weekly").click()
    assert page.get_by_role(
        "table", name=f"Weekly figures for {alice.full_name}"
    ).is_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name=alice.full_name).first.click()
    page.wait_for_url(f"**/dashboards/caseload/{alice.code}/")
    assert page.get_by_text("Read-only").first.is_visible()
    page.get_by_role("link", name="Dana Example").click()
    wait_chart(page, "chart-indicators")
    # The composite names its members in its label (docs/DECISIONS.md).
    page.get_by_role("checkbox", name=re.compile(r"^Composite \(mean of ")).uncheck()
    assert page.get_by_text("Read-only").first.is_visible()
    assert_no_serious_axe_violations(page)


def test_practice_dashboard(page, live_server, ada, record):
    login(page, live_server, ada)
    page.goto(f"{live_server.url}/dashboards/")
    page.wait_for_url("**/dashboards/practice/")
    wait_chart(page, "chart-practice")
    page.get_by_text("Data table: sessions documented per week").click()
    assert page.get_by_role("table", name="Practice-wide").is_visible()
    assert "Dana" not in page.content()
    assert_no_serious_axe_violations(page)
