"""PHQ-9 and GAD-7 on the dashboards in Chromium: the trajectory draws the scores with their
bands beside the composite and the ruptures, the band toggle repaints them, the client page
shows its small chart, and a supervisor reaches a supervisee's unrepaired rupture's session in
two clicks from the supervision dashboard. Axe on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dashboards import services
from tests.dashboards.helpers import (
    administer,
    ensure_indicators,
    rate_composite,
    repair,
    rupture,
    session,
)
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATASETS = "Chart.getChart('chart-timeline').data.datasets.map(d => d.label)"
ACTIVE_BANDS = "Chart.getChart('chart-timeline').options.plugins.bands.active"


@pytest.fixture
def record(alice):
    ensure_indicators()
    client = make_client(alice, legal_name="Rowan Example")
    now = timezone.now()
    sessions = []
    for k, (composite, phq, gad) in enumerate(
        [(1, 19, 14), (2, None, None), (2, 14, 10), (3, None, None), (3, 9, 6)]
    ):
        s = session(client, alice, now - timedelta(weeks=5 - k, hours=3))
        rate_composite(s, composite)
        if phq is not None:
            administer(client, "PHQ9", phq, s.starts_at, session=s)
            administer(client, "GAD7", gad, s.starts_at, session=s)
        sessions.append(s)
    repair(rupture(sessions[1]), sessions[1], minute=30)
    rupture(sessions[2], minute=15)  # left open, three weeks old
    services.rollup_refresh_client(client_id=client.id)
    return client, sessions


def test_trajectory_draws_the_measures_with_their_bands(
    page, live_server, alice, record
):
    client, _ = record
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    login(page, live_server, alice)
    page.goto(live_server.url + reverse("dashboards:trajectory", args=[client.code]))
    canvas = page.locator("#chart-timeline")
    # Chart.js sizes the canvas when it draws it.
    expect(canvas).to_have_attribute("style", re.compile("height"))
    labels = page.evaluate(DATASETS)
    assert labels == [
        "Composite (clinician-rated, descriptive)",
        "PHQ-9 total",
        "GAD-7 total",
        "Rupture, open",
        "Rupture, repaired",
    ]
    phq = page.evaluate("Chart.getChart('chart-timeline').data.datasets[1].data")
    assert [v for v in phq if v is not None] == [19, 14, 9]
    assert page.evaluate(ACTIVE_BANDS) == "PHQ9"
    page.get_by_role("radio", name="GAD-7").check()
    expect(page.get_by_role("radio", name="GAD-7")).to_be_checked()
    assert page.evaluate(ACTIVE_BANDS) == "GAD7"
    page.get_by_text("Data table: PHQ-9 and GAD-7").click()
    table = page.get_by_role("table", name=re.compile("Questionnaires completed"))
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(
        table.get_by_role("row", name=re.compile("PHQ-9 19 Moderately severe"))
    ).to_have_count(1)
    assert_no_serious_axe_violations(page)
    assert not errors, errors


def test_client_page_shows_the_small_trajectory(page, live_server, alice, record):
    client, _ = record
    login(page, live_server, alice)
    page.goto(live_server.url + reverse("clients:client_detail", args=[client.code]))
    figure = page.locator("figure.mini-trajectory")
    expect(figure).to_be_visible()
    expect(figure.get_by_role("img")).to_have_attribute(
        "aria-label", re.compile("PHQ-9 total: 3 points, latest 9")
    )
    expect(figure.locator("polyline")).to_have_count(3)
    assert_no_serious_axe_violations(page)
    figure.get_by_role("link", name="Full trajectory").click()
    expect(page.get_by_role("heading", name=re.compile("Trajectory"))).to_be_visible()


def test_supervisor_reaches_an_unrepaired_rupture_in_two_clicks(
    page, live_server, alice, bob, record
):
    _, sessions = record
    login(page, live_server, bob)
    page.goto(live_server.url + reverse("dashboards:supervision"))
    expect(page.get_by_text(re.compile("^Ordered by concern"))).to_be_visible()
    row = page.get_by_role("row", name=re.compile(alice.full_name))
    expect(row).to_contain_text("1 of 1 (100%)")  # reliably improved
    assert_no_serious_axe_violations(page)
    row.get_by_role("link", name=re.compile("1 unrepaired")).click()
    expect(
        page.get_by_role("heading", name=f"Unrepaired ruptures: {alice.full_name}")
    ).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name=re.compile("^Session of")).click()
    expect(page).to_have_url(
        live_server.url + reverse("sessions:session_detail", args=[sessions[2].code])
    )
