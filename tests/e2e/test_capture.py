"""The capture panel driven by keyboard alone: attunement match, a rupture with markers, its
repair, a window-of-tolerance shift, the therapist's own arousal, a co-regulation moment,
integration ratings, and the summary inserted into the progress note; axe finds no serious
or critical violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    CoRegulationMoment,
    IntegrationRating,
    RepairEvent,
    RuptureEvent,
)
from tests.e2e.helpers import assert_no_serious_axe_violations, login, tab_to
from tests.factories import make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_capture_by_keyboard_alone(page, live_server, alice):
    client = make_client(alice, legal_name="Robin Keyes")
    session = make_session(
        client, alice, starts_at=timezone.now() - timedelta(minutes=20)
    )
    login(page, live_server, alice)
    page.goto(f"{live_server.url}/sessions/{session.code}/capture/")
    status = page.locator("#capture-status")

    # A: attunement match, at the clock's minute.
    page.keyboard.press("a")
    expect(status).to_contain_text("Attunement: match tagged at minute 20")
    expect(page.locator(".timeline-item.kind-attunement")).to_have_count(1)

    # R then W: a withdrawal rupture; E opens its details; pick a marker by keyboard.
    page.keyboard.press("r")
    expect(page.locator("#capture-pending")).to_contain_text("W withdrawal")
    page.keyboard.press("w")
    expect(status).to_contain_text("Withdrawal rupture tagged at minute 20")
    page.keyboard.press("e")
    expect(page.locator(".editing")).to_be_visible()
    # Only markers of the rupture's type are shown.
    expect(page.get_by_label("Rejects intervention")).to_be_hidden()
    tab_to(page, "Minimal response")
    page.keyboard.press("Space")
    tab_to(page, "Bond")
    tab_to(page, "Save details")
    assert_no_serious_axe_violations(page)
    page.keyboard.press("Enter")
    expect(status).to_contain_text("Updated: Withdrawal rupture at minute 20")
    expect(page.locator(".timeline-item.kind-rupture")).to_contain_text(
        "Minimal response"
    )

    # P: repair the most recent open rupture.
    page.keyboard.press("p")
    expect(status).to_contain_text("Repair tagged at minute 20")
    expect(page.locator(".timeline-item.kind-repair")).to_contain_text(
        "Time to repair: 0 min"
    )

    # W then H, W then I: a window-of-tolerance shift.
    page.keyboard.press("w")
    page.keyboard.press("h")
    expect(status).to_contain_text("Client: hyperarousal (above the window) tagged")
    page.keyboard.press("w")
    page.keyboard.press("i")
    expect(status).to_contain_text("Client: within the window of tolerance tagged")
    # W then S: the therapist's own arousal, within the window.
    page.keyboard.press("w")
    page.keyboard.press("s")
    expect(status).to_contain_text(
        "Therapist's own arousal: within the window of tolerance tagged"
    )

    # C then S: a co-regulation moment, the client settled.
    page.keyboard.press("c")
    expect(page.locator("#capture-pending")).to_contain_text("S settled")
    page.keyboard.press("s")
    expect(status).to_contain_text("Co-regulation tagged at minute 20")
    expect(page.locator(".timeline-item.kind-coregulation")).to_contain_text(
        "client settled"
    )

    # Shortcuts stay quiet while typing in a field.
    tab_to(page, "Minute")
    page.keyboard.type("a")
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Tab")
    assert AttunementMoment.objects.filter(session=session).count() == 1

    # ? shows the help.
    page.keyboard.press("?")
    expect(page.locator("#capture-help table")).to_be_visible()
    assert_no_serious_axe_violations(page)

    rupture = RuptureEvent.objects.get(session=session)
    assert rupture.markers == ["3RS2015.W2_MINIMAL_RESPONSE"]
    assert RepairEvent.objects.get(rupture=rupture).session == session
    assert sorted(
        ArousalObservation.objects.filter(session=session, whose="CLIENT").values_list(
            "zone", flat=True
        )
    ) == ["HYPER", "WITHIN"]
    assert ArousalObservation.objects.get(session=session, whose="THERAPIST").zone == (
        "WITHIN"
    )
    assert CoRegulationMoment.objects.get(session=session).client_response == "SETTLED"

    # Ratings: follow the link, choose values with the arrow keys, save.
    tab_to(page, "Integration ratings")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sessions/{session.code}/ratings/")
    assert_no_serious_axe_violations(page)
    tab_to(page, "Not rated")  # the Flexible group
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # Not rated -> 0 -> 1 -> 2
    tab_to(page, "Not rated")  # the Adaptive group, past the Flexible one's status link
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # -> 3
    tab_to(page, "Save ratings")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Integration ratings saved (2 changed).")).to_be_visible()
    values = dict(
        IntegrationRating.objects.filter(session=session).values_list(
            "indicator__code", "value"
        )
    )
    assert values == {"flexible": 2, "adaptive": 3}

    # The summary goes into the note's observation section, after what was typed.
    page.goto(f"{live_server.url}/sessions/{session.code}/note/")
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    objective = page.locator('textarea[name$="objective"]')
    tab_to(page, "Objective")
    page.keyboard.type("Calm, engaged.")
    tab_to(page, "Insert IPNB summary")
    page.keyboard.press("Enter")
    expect(objective).to_have_value(
        "Calm, engaged.\n\n"
        "1 rupture (withdrawal: minimal response), 1 repaired in session; "
        "1 attunement match; moving between hyperarousal and within the window; "
        "the therapist's own arousal within the window of tolerance throughout; "
        "1 co-regulation moment (the client settled)."
    )
    expect(page.locator("[data-capture-summary-status]")).to_contain_text(
        "IPNB summary inserted"
    )
    assert_no_serious_axe_violations(page)


def test_fast_presses_are_all_saved_and_a_double_click_once(page, live_server, alice):
    client = make_client(alice, legal_name="Sam Quick")
    session = make_session(
        client, alice, starts_at=timezone.now() - timedelta(minutes=5)
    )
    login(page, live_server, alice)
    page.goto(f"{live_server.url}/sessions/{session.code}/capture/")
    # Three tags in quick succession: presses made while one is saving wait their turn.
    page.keyboard.press("a")
    page.keyboard.press("m")
    page.keyboard.press("a")
    expect(page.locator(".timeline-item.kind-attunement")).to_have_count(3)
    # A double click on a tag button saves one event.
    page.get_by_role("button", name="Hypoarousal").dblclick()
    expect(page.locator(".timeline-item.kind-arousal")).to_have_count(1)
    page.wait_for_timeout(500)
    assert ArousalObservation.objects.filter(session=session).count() == 1
    assert sorted(
        AttunementMoment.objects.filter(session=session).values_list(
            "process", flat=True
        )
    ) == ["MATCH", "MATCH", "MISMATCH"]
