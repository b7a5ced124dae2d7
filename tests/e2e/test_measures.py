"""Outcome measures in Chromium: a therapist sends a PHQ-9 link, the client answers it on a
phone by keyboard with item 9 above 0, the link then opens only the neutral page; the risk
alert comes first on the therapist's home until she writes what was done; a GAD-7 completed
in session with an item missing says which and keeps the other answers. axe on each page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from measures.models import RiskAlert
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRACTICE = "Harbour Street Therapy"
PHONE = {"width": 390, "height": 844}
# PHQ-9 answers, 0-3 each; item 9 is 1, "Several days".
PHQ9 = [1, 2, 0, 1, 1, 0, 0, 1, 1]
ACTION = "Risk assessed by phone today; no plan or intent. Safety plan reviewed."


def answer_by_keyboard(page, n: int, value: int) -> None:
    """Item `n` has focus on its first answer: Space picks it, each ArrowRight the next."""
    first = page.locator(f"#id_item_{n}_0")
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(value):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"#id_item_{n}_{value}")).to_be_checked()


def test_a_client_answers_a_phq9_link_and_the_risk_alert_is_acknowledged(
    browser, page, live_server, alice, settings
):
    settings.PRACTICE_NAME = PRACTICE
    robin = make_client(
        alice, legal_name="Roberta Quill-Hargreave", preferred_name="Robin"
    )

    # The therapist creates a PHQ-9 link from the client's page and copies it.
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{robin.get_absolute_url()}")
    page.get_by_role("link", name="Send a questionnaire link").click()
    page.wait_for_url(re.compile(r"/measures/link/$"))
    page.get_by_label("PHQ-9").check()
    page.get_by_role("button", name="Create the link").click()
    link_box = page.get_by_label("Copy this link now")
    expect(link_box).to_have_value(re.compile(r"/m/[^/]+/$"))
    link = live_server.url + urlsplit(link_box.input_value()).path

    # The client opens it on a phone, signed in to nothing.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        client_page = phone.new_page()
        client_page.goto(link)
        # The token leaves the address bar at once.
        client_page.wait_for_url(f"{live_server.url}/m/questionnaire/")
        expect(client_page.get_by_role("heading", name="Hello Robin")).to_be_visible()
        expect(client_page.get_by_text(PRACTICE)).to_be_visible()
        body = client_page.locator("body")
        for stranger in ("Quill-Hargreave", "Roberta", "Alice Therapist", "Alice"):
            expect(body).not_to_contain_text(stranger)
        assert_no_serious_axe_violations(client_page)

        # Every item by keyboard: Tab reaches each radio group, Space and arrows answer it.
        client_page.locator("#id_item_1_0").focus()
        for n, value in enumerate(PHQ9, start=1):
            if n > 1:
                client_page.keyboard.press("Tab")
            answer_by_keyboard(client_page, n, value)
        client_page.keyboard.press("Tab")
        expect(
            client_page.get_by_label(re.compile("Leave the unanswered"))
        ).to_be_focused()
        client_page.keyboard.press("Tab")
        send = client_page.get_by_role("button", name="Send my answers")
        expect(send).to_be_focused()
        client_page.keyboard.press("Enter")

        client_page.wait_for_url(f"{live_server.url}/m/thank-you/")
        expect(client_page.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(client_page.get_by_text(PRACTICE)).to_be_visible()
        assert_no_serious_axe_violations(client_page)

        # The link worked once: opened again, it shows the neutral page, and nothing more.
        client_page.goto(link)
        expect(
            client_page.get_by_role("heading", name="This link is no longer valid")
        ).to_be_visible()
        expect(client_page.locator("body")).not_to_contain_text("Robin")
        expect(client_page.locator("form")).to_have_count(0)
        assert_no_serious_axe_violations(client_page)
    finally:
        phone.close()

    alert = RiskAlert.objects.get(client=robin)
    assert alert.is_open
    assert alert.administration.responses["answers"] == PHQ9

    # The therapist's home: the alert is the first thing after the greeting.
    page.goto(f"{live_server.url}/")
    first_card = page.locator("main section.card").first
    expect(first_card).to_have_class(re.compile(r"\brisk-alerts\b"))
    expect(first_card).to_contain_text("Robin")
    expect(first_card).to_contain_text("PHQ-9 item 9 above 0")
    assert_no_serious_axe_violations(page)
    first_card.get_by_role("link", name="Review and acknowledge").click()
    page.wait_for_url(re.compile(rf"/measures/alerts/{alert.code}/$"))
    expect(page.get_by_role("heading", name=re.compile("Risk alert"))).to_be_visible()
    assert_no_serious_axe_violations(page)

    # Empty (or blank) text is refused beside the field.
    what = page.get_by_label("What was done")
    what.fill("   ")
    page.get_by_role("button", name="Acknowledge").click()
    field = page.locator(".field", has=page.locator("#id_action_taken"))
    expect(field).to_contain_text("Write what was done before closing the alert.")
    expect(field).to_have_class(re.compile(r"\bfield-error\b"))
    expect(page.locator(".form-errors[role=alert]")).to_be_visible()
    assert_no_serious_axe_violations(page)
    alert.refresh_from_db()
    assert alert.is_open

    page.get_by_label("What was done").fill(ACTION)
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{live_server.url}{robin.get_absolute_url()}")
    expect(page.get_by_text("Risk alert acknowledged.")).to_be_visible()
    expect(page.locator("#measures .risk-alert")).to_have_count(0)
    expect(page.locator("#measures")).to_contain_text("7 · ")
    page.goto(f"{live_server.url}/")
    expect(
        page.get_by_role("heading", name=re.compile("Good to see you"))
    ).to_be_visible()
    expect(page.locator(".risk-alerts")).to_have_count(0)
    expect(page.get_by_role("link", name="Review and acknowledge")).to_have_count(0)
    alert.refresh_from_db()
    assert not alert.is_open
    assert alert.action_taken == ACTION


def test_a_gad7_in_session_with_an_item_missing_names_it_and_keeps_the_rest(
    page, live_server, alice
):
    robin = make_client(alice, legal_name="Robin Dale")
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{robin.get_absolute_url()}")
    row = page.get_by_role("row", name=re.compile("GAD-7"))
    row.get_by_role("link", name="Complete with the client now").click()
    page.wait_for_url(re.compile(r"/measures/gad7/$"))
    assert_no_serious_axe_violations(page)

    given = {1: 2, 2: 1, 3: 0, 5: 3, 6: 1, 7: 2}  # item 4 left unanswered
    for n, value in given.items():
        page.locator(f"#id_item_{n}_{value}").check()
    page.get_by_role("button", name="Save the GAD-7").click()

    expect(page.locator(".form-errors[role=alert]")).to_be_visible()
    missing = page.locator("fieldset.measure-item.field-error")
    expect(missing).to_have_count(1)
    expect(missing.locator("legend")).to_contain_text("4.")
    expect(missing).to_contain_text("Choose an answer, or tick the box at the end")
    # The error is tied to the item's group for screen readers.
    expect(missing).to_have_attribute("aria-describedby", "id_item_4_error")
    for n, value in given.items():
        expect(page.locator(f"#id_item_{n}_{value}")).to_be_checked()
    expect(page.locator("input[name=item_4]:checked")).to_have_count(0)
    assert_no_serious_axe_violations(page)


def test_a_client_answers_a_post_session_check_in_and_it_meets_the_rupture_tag(
    browser, page, live_server, alice, settings
):
    from sessions.capture import services as capture_services
    from tests.factories import make_session

    settings.PRACTICE_NAME = PRACTICE
    robin = make_client(
        alice, legal_name="Roberta Quill-Hargreave", preferred_name="Robin"
    )
    session = make_session(robin, alice)
    capture_services.event_create(
        session=session, tag="rupture-withdrawal", minute=10, by=alice
    )

    # The therapist asks for a check-in from the session page.
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{session.get_absolute_url()}")
    page.get_by_role("link", name="Ask the client for a check-in").click()
    page.get_by_role("button", name="Create the link").click()
    link_box = page.get_by_label("Copy this link now")
    expect(link_box).to_have_value(re.compile(r"/m/[^/]+/$"))
    link = live_server.url + urlsplit(link_box.input_value()).path

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        client_page = phone.new_page()
        client_page.goto(link)
        client_page.wait_for_url(f"{live_server.url}/m/questionnaire/")
        expect(client_page.get_by_text("non-standardised")).to_be_visible()
        assert_no_serious_axe_violations(client_page)
        # A "yes" alone is refused beside the questions it needs, and kept.
        client_page.locator("#id_tension_0").check()
        client_page.locator("#id_safety_1").check()
        client_page.get_by_role("button", name="Send my answers").click()
        expect(client_page.locator("#id_intensity_error")).to_be_visible()
        expect(client_page.locator("#id_tension_0")).to_be_checked()
        client_page.locator("#id_intensity_3").check()  # 4 of 5
        client_page.locator("#id_resolution_1").check()  # 2 of 5
        client_page.get_by_role("button", name="Send my answers").click()
        client_page.wait_for_url(re.compile(r"/m/thank-you/$"))
    finally:
        phone.close()

    page.goto(f"{live_server.url}{session.get_absolute_url()}")
    timeline = page.locator(".capture-timeline")
    expect(timeline).to_contain_text("Withdrawal")
    expect(timeline).to_contain_text(
        "Client's check-in: felt tension, not resolved (intensity 4/5)"
    )
    assert_no_serious_axe_violations(page)
