"""A session that times out while the therapist types loses no text (SESS-01, REL-02).

The idle timer runs out server-side mid-note; the background autosave gets a 401, the
editor keeps every character and offers sign-in in a new tab; after signing in there, the
pending save goes through, and the reloaded note matches what was typed exactly."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.helpers import login
from tests.factories import make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"Saved \d\d:\d\d")
BEFORE = "Said the week felt lighter; slept 7h (vs. 4h) — “less on edge”. "
AFTER = "Then: <b>not bold</b> & 'quoted' \"double\" 3 < 5 ✓\nSecond line, ünïcödé."


@pytest.fixture
def session(alice):
    client = make_client(alice, legal_name="Jamie Rivers")
    return make_session(client, alice)


def test_typing_through_an_idle_timeout_loses_nothing(
    page, live_server, alice, session, settings
):
    from sessions.models import ProgressNote

    login(page, live_server, alice)
    editor_url = live_server.url + reverse("sessions:note_edit", args=[session.code])
    page.goto(editor_url)
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    subjective = page.get_by_label("Subjective")
    subjective.fill(BEFORE)
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=10_000)

    # The therapist pauses past the idle limit (shortened for the test); the live server
    # runs in this process, so it sees the new setting at once.
    settings.IDLE_TIMEOUT_SECONDS = 2
    time.sleep(3)
    subjective.press("End")
    subjective.press_sequentially(AFTER[:20])
    alert = page.locator("#save-alert")
    expect(alert).to_contain_text("sign-in has expired", timeout=10_000)
    expect(page.locator("#save-status")).to_have_text("Not saved")
    # Typing goes on while signed out: nothing is lost from the page.
    subjective.press_sequentially(AFTER[20:])
    expect(subjective).to_have_value(BEFORE + AFTER)

    # Sign in again in a new tab, from the link the editor offers.
    settings.IDLE_TIMEOUT_SECONDS = 15 * 60
    with page.context.expect_page() as new_tab_info:
        alert.get_by_role("link", name="Sign in again").click()
    new_tab = new_tab_info.value
    new_tab.wait_for_load_state()
    assert "/accounts/login/" in new_tab.url
    login(new_tab, live_server, alice)
    new_tab.close()

    # Back in the editor: the pending save is retried and goes through.
    page.bring_to_front()
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=20_000)
    expect(page.locator("#save-alert")).to_be_empty()

    page.reload()
    expect(page.get_by_label("Subjective")).to_have_value(BEFORE + AFTER)
    note = ProgressNote.objects.get(session=session)
    # Browsers submit textarea line breaks as CRLF (HTML form encoding); the text is the same.
    assert note.sections["subjective"].replace("\r\n", "\n") == BEFORE + AFTER
