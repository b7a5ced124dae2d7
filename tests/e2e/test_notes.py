"""A therapist writes a SOAP note, sees it autosaved, reloads, signs it and adds an addendum."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"Saved \d\d:\d\d")


@pytest.fixture
def session(alice):
    client = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    return make_session(client, alice)


def test_write_autosave_reload_sign_and_add_an_addendum(
    page, live_server, alice, session
):
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{session.get_absolute_url()}")
    assert_no_serious_axe_violations(page)
    # Starting a note is a POST from the session page; the editor opens at once.
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    page.wait_for_url("**/note/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Progress note")

    page.get_by_label("Note format").select_option("SOAP")
    page.get_by_label("Subjective").fill(
        "Says the week felt lighter and sleep is better."
    )
    page.get_by_label("Objective").fill("Calm affect, steady eye contact.")
    page.get_by_label("Assessment").fill("Progress toward noticing overwhelm early.")
    page.get_by_label("Plan", exact=True).fill("Weekly; grounding practice daily.")
    page.get_by_label("Mindfulness and somatic awareness").check()
    page.get_by_label("Suicidal ideation").select_option("DENIED")
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=10_000)
    assert_no_serious_axe_violations(page)

    page.reload()
    expect(page.get_by_label("Subjective")).to_have_value(
        "Says the week felt lighter and sleep is better."
    )
    expect(page.get_by_label("Plan", exact=True)).to_have_value(
        "Weekly; grounding practice daily."
    )
    expect(page.get_by_label("Mindfulness and somatic awareness")).to_be_checked()

    # Switching format keeps the shared sections and hides the others.
    page.get_by_label("Note format").select_option("DAP")
    expect(page.get_by_label("Subjective")).to_be_hidden()
    expect(page.get_by_label("Assessment")).to_have_value(
        "Progress toward noticing overwhelm early."
    )
    page.get_by_label("Note format").select_option("SOAP")
    expect(page.get_by_label("Subjective")).to_be_visible()

    page.get_by_label(
        re.compile("I attest that this note accurately documents")
    ).check()
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Signed. The note is now locked")).to_be_visible()
    expect(page.get_by_text("Says the week felt lighter")).to_be_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_role("textbox", name="Addendum").fill(
        "Client called to move next week's session."
    )
    page.get_by_label(re.compile("I attest that this addendum")).check()
    page.get_by_role("button", name="Sign and add addendum").click()
    expect(page.get_by_text("Addendum signed and added.")).to_be_visible()
    expect(
        page.get_by_text("Client called to move next week's session.")
    ).to_be_visible()
    assert_no_serious_axe_violations(page)


def test_an_expired_sign_in_keeps_the_text_and_saves_after_signing_in_again(
    page, live_server, alice, session
):
    from django.contrib.sessions.models import Session

    login(page, live_server, alice)
    page.goto(f"{live_server.url}/sessions/{session.code}/note/")
    # Opening the address shows the start page: only the button creates the note.
    assert_no_serious_axe_violations(page)
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    page.get_by_label("Subjective").fill("First thoughts.")
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=10_000)

    Session.objects.all().delete()  # the sign-in expires while the therapist types
    page.get_by_label("Subjective").fill(
        "First thoughts. Then more, typed after expiry."
    )
    alert = page.locator("#save-alert")
    expect(alert).to_contain_text("Not saved: your sign-in has expired", timeout=10_000)
    link = alert.get_by_role("link", name="Sign in again")
    expect(link).to_have_attribute("target", "_blank")
    expect(page.get_by_label("Subjective")).to_have_value(
        "First thoughts. Then more, typed after expiry."
    )

    other = page.context.new_page()
    login(other, live_server, alice)
    other.close()
    page.bring_to_front()
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=15_000)
    page.reload()
    expect(page.get_by_label("Subjective")).to_have_value(
        "First thoughts. Then more, typed after expiry."
    )


def test_two_tabs_conflict_shows_both_texts_and_the_user_chooses(
    page, live_server, alice, session
):
    login(page, live_server, alice)
    url = f"{live_server.url}/sessions/{session.code}/note/"
    page.goto(url)
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    other = page.context.new_page()
    other.goto(url)  # the note exists now: the editor opens directly

    page.get_by_label("Subjective").fill("Written in the first tab.")
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=10_000)

    other.get_by_label("Subjective").fill("Written in the second tab.")
    conflict = other.get_by_role(
        "region", name=re.compile("Not saved: this note was changed")
    )
    expect(conflict).to_contain_text("Written in the first tab.", timeout=10_000)
    expect(conflict).to_contain_text("Written in the second tab.")
    expect(other.get_by_label("Subjective")).to_have_value("Written in the second tab.")
    assert_no_serious_axe_violations(other)
    other.get_by_role("button", name="Keep my text").click()
    expect(other.locator("#save-status")).to_have_text(SAVED, timeout=10_000)

    page.reload()
    expect(page.get_by_label("Subjective")).to_have_value("Written in the second tab.")


def test_the_process_note_is_labelled_private_and_autosaves(
    page, live_server, alice, session
):
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{session.get_absolute_url()}")
    page.get_by_role("link", name="Psychotherapy note (private to you)").click()
    page.wait_for_url("**/process-note/")
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    expect(
        page.get_by_text("Psychotherapy note — private to you; not part of the record")
    ).to_be_visible()
    page.get_by_role("textbox", name="Psychotherapy note").fill(
        "A hunch about the mother."
    )
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=10_000)
    assert_no_serious_axe_violations(page)
    page.reload()
    expect(page.get_by_role("textbox", name="Psychotherapy note")).to_have_value(
        "A hunch about the mother."
    )
