"""Measures by schedule and instruments the practice defined, in Chromium: the practice admin
defines a short instrument (a gap in its bands is refused beside the field, what was typed
kept), the therapist schedules it with the PHQ-9 for a client, the schedule makes the links
for the coming session, she has one shown to copy, and the client answers it on a phone, where
the page says what the instrument is. axe on each page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from measures import scheduling
from measures.instruments import PRACTICE_STATUS
from measures.models import MeasureLink, PracticeAdministration, PracticeInstrument
from sessions.models import TherapySession
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import PASSWORD, make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
ITEMS = "I felt safe with others\nI could ask for help"
SCALE = "Never\nSometimes\nOften"


def test_a_practice_instrument_is_scheduled_copied_and_answered(
    browser, page, live_server, alice, ada
):
    # The practice admin defines the instrument (in sudo mode).
    login(page, live_server, ada)
    page.goto(f"{live_server.url}/practice/measures/instruments/new/")
    page.wait_for_url(re.compile(r"/reauthenticate/"))
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url(re.compile(r"/practice/measures/instruments/new/$"))
    page.get_by_label("Name").fill("Felt Safety")
    page.get_by_label("Items, one per line").fill(ITEMS)
    page.get_by_label(re.compile("Response scale")).fill(SCALE)
    page.get_by_label(re.compile("Bands")).fill("0-1 Low\n3-4 High")
    page.get_by_role("button", name="Define the instrument").click()
    expect(page.get_by_text("should start at 2")).to_be_visible()
    expect(page.get_by_label("Items, one per line")).to_have_value(ITEMS)
    assert_no_serious_axe_violations(page)
    page.get_by_label(re.compile("Bands")).fill("0-1 Low\n2-4 High")
    page.get_by_role("button", name="Define the instrument").click()
    page.wait_for_url(re.compile(r"/practice/measures/$"))
    expect(page.get_by_role("heading", name=re.compile("Felt Safety"))).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.context.clear_cookies()

    # The therapist schedules it and the PHQ-9 for a client with a session tomorrow.
    robin = make_client(alice, legal_name="Roberta Quill", preferred_name="Robin")
    make_session(
        robin,
        alice,
        starts_at=timezone.now() + timedelta(days=1),
        status=TherapySession.Status.SCHEDULED,
    )
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{robin.get_absolute_url()}")
    page.get_by_role("link", name="Schedule and scheduled links").click()
    page.wait_for_url(re.compile(r"/measures/schedule/$"))
    page.get_by_label("PHQ-9: every … sessions").fill("4")
    page.get_by_label(re.compile(r"^Felt Safety \(")).fill("53")
    page.get_by_role("button", name="Save the schedule").click()
    expect(
        page.get_by_text("Enter a number from 1 to 52, or leave it blank.")
    ).to_be_visible()
    expect(page.get_by_label("PHQ-9: every … sessions")).to_have_value("4")
    assert_no_serious_axe_violations(page)
    page.get_by_label(re.compile(r"^Felt Safety \(")).fill("1")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_text("Schedule saved.")).to_be_visible()

    # Saving queued the schedule's run through the outbox (beat runs it too); run it here
    # as well, in case no worker took it: still one link per questionnaire.
    scheduling.schedule_run(client_id=robin.id)
    assert sorted(MeasureLink.objects.values_list("instrument", flat=True)) == sorted(
        ["PHQ9", PracticeInstrument.objects.get().key]
    )
    page.reload()
    expect(page.get_by_text("Waiting for you to copy")).to_have_count(2)
    assert_no_serious_axe_violations(page)
    row = page.get_by_role("row", name=re.compile("Felt Safety"))
    row.get_by_role("button", name="Show the link to copy").click()
    link_box = page.get_by_label("Copy this link now")
    expect(link_box).to_have_value(re.compile(r"/m/[^/]+/$"))
    link = live_server.url + urlsplit(link_box.input_value()).path

    # The client answers on a phone; the page says what the instrument is.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        client_page = phone.new_page()
        client_page.goto(link)
        client_page.wait_for_url(f"{live_server.url}/m/questionnaire/")
        expect(client_page.get_by_text(PRACTICE_STATUS)).to_be_visible()
        expect(client_page.locator("body")).not_to_contain_text("Quill")
        assert_no_serious_axe_violations(client_page)
        client_page.locator("#id_item_1_2").check()
        client_page.locator("#id_item_2_1").check()
        client_page.get_by_role("button", name="Send my answers").click()
        client_page.wait_for_url(f"{live_server.url}/m/thank-you/")
    finally:
        phone.close()

    score = PracticeAdministration.objects.get()
    assert (score.total, score.band_label) == (3, "High")
    page.goto(f"{live_server.url}{robin.get_absolute_url()}")
    section = page.locator("#measures")
    expect(section).to_contain_text("Felt Safety")
    expect(section).to_contain_text(PRACTICE_STATUS.lower())
    assert_no_serious_axe_violations(page)
