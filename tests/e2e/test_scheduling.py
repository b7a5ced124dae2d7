"""Scheduling in the browser, by keyboard: the therapist marks a past session still
"Scheduled" as attended in one click on her home (the row swaps in place), then walks her week
calendar (previous, today, next, each session a link to its page). axe on each page."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions.models import TherapySession
from tests.e2e.helpers import assert_no_serious_axe_violations, login, tab_to
from tests.factories import make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_one_click_attended_then_the_week_calendar_by_keyboard(
    browser, live_server, alice
):
    jamie = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    forgotten = make_session(
        jamie,
        alice,
        starts_at=timezone.now() - timedelta(hours=26),
        status=TherapySession.Status.SCHEDULED,
    )
    today = timezone.localdate()
    later = make_session(
        jamie,
        alice,
        starts_at=timezone.make_aware(datetime.combine(today, time(23, 0))),
        status=TherapySession.Status.SCHEDULED,
    )
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    login(page, live_server, alice)

    # Home: the forgotten session waits at the top; one keypress marks it attended.
    past = page.get_by_role("region", name="Past sessions still scheduled")
    expect(past).to_contain_text("Jay")
    assert_no_serious_axe_violations(page)
    tab_to(page, "Attended: session of")
    page.keyboard.press("Enter")
    row = page.locator(f"#past-{forgotten.code}")
    expect(row).to_contain_text("Marked Attended")
    expect(row.get_by_role("link", name="Write the note")).to_be_visible()
    forgotten.refresh_from_db()
    assert forgotten.status == TherapySession.Status.ATTENDED
    assert_no_serious_axe_violations(page)

    # The calendar, from the main navigation.
    tab_to(page, "Calendar")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
    assert_no_serious_axe_violations(page)
    # Previous, Today and Next come in that order.
    tab_to(page, "Previous week")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Today", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Next week")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?week=\d{4}-W\d{2}$"))
    expect(page.get_by_text("Jay")).to_have_count(0)
    tab_to(page, "Today")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # This week: each session is a link to its page.
    expect(page.get_by_role("link", name=re.compile("23:00.*Jay"))).to_be_visible()
    tab_to(page, "23:00")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}{later.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session of")
    assert_no_serious_axe_violations(page)


def test_the_feed_from_the_account_page_and_the_admins_week(
    browser, live_server, alice, ada
):
    page = browser.new_context().new_page()
    login(page, live_server, alice)
    page.goto(f"{live_server.url}/accounts/reminders/")
    tab_to(page, "turn the private feed on or off")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar feed")
    tab_to(page, "Turn the feed on")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    address = page.get_by_label(re.compile("Your feed's address"))
    expect(address).to_have_value(re.compile(r"/calendar/feed/[\w-]+\.ics$"))
    assert_no_serious_axe_violations(page)
    feed = page.request.get(address.input_value())
    assert feed.status == 200 and feed.text().startswith("BEGIN:VCALENDAR")

    admin = browser.new_context().new_page()
    login(admin, live_server, ada)
    admin.goto(f"{live_server.url}/calendar/")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Every clinician")
    expect(admin.get_by_role("rowheader", name="Alice Therapist")).to_be_visible()
    assert_no_serious_axe_violations(admin)
