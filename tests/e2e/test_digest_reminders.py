"""A therapist turns the daily email digest off from the header's Reminders link, by
keyboard, and the page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_serious_axe_violations, login, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_turns_the_digest_off_and_on(page, live_server, alice):
    login(page, live_server, alice)
    page.get_by_role("link", name="Reminders").click()
    page.wait_for_url("**/accounts/reminders/")
    expect(page.get_by_role("heading", name="Daily email digest")).to_be_visible()
    box = page.get_by_label("Email me a daily digest")
    expect(box).to_be_checked()
    assert_no_serious_axe_violations(page)

    tab_to(page, "Email me a daily digest")
    page.keyboard.press("Space")
    tab_to(page, "Save")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Saved. You will get no daily digest.")).to_be_visible()
    expect(page.get_by_label("Email me a daily digest")).not_to_be_checked()
    alice.refresh_from_db()
    assert alice.digest_email is False

    page.get_by_label("Email me a daily digest").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. You will get the daily digest.")).to_be_visible()
    alice.refresh_from_db()
    assert alice.digest_email is True
