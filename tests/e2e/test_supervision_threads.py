"""Supervision at the moment, by keyboard: Bob comments on a rupture from the note review page
(the timeline beside the note); Alice finds the thread on her home and replies; Bob resolves
it. axe on each page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions.capture import services as capture
from sessions.notes import services as services
from tests.e2e.helpers import assert_no_serious_axe_violations, login, tab_to
from tests.factories import make_client, make_note, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_comment_on_a_rupture_reply_and_resolve_by_keyboard(
    browser, live_server, alice, bob
):
    client = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    session = make_session(client, alice, starts_at=timezone.now() - timedelta(days=1))
    rupture, _ = capture.event_create(
        session=session, tag="rupture-withdrawal", minute=12, by=alice
    )
    note = services.note_sign(note=make_note(session), by=alice)  # awaits Bob
    alice_page = browser.new_context().new_page()
    bob_page = browser.new_context().new_page()
    login(alice_page, live_server, alice)
    login(bob_page, live_server, bob)

    # Bob opens the note from his queue: the session's moments are shown beside the note.
    tab_to(bob_page, "Review")
    with bob_page.expect_navigation():
        bob_page.keyboard.press("Enter")
    moment = bob_page.locator(f"#event-{rupture.code}")
    expect(moment).to_contain_text("Withdrawal rupture")
    assert_no_serious_axe_violations(bob_page)
    # "Comment" beside the rupture opens the form in place (htmx).
    tab_to(bob_page, "Comment on Withdrawal rupture")
    bob_page.keyboard.press("Enter")
    box = moment.get_by_label("Supervision comment")
    expect(box).to_be_visible()
    expect(moment).to_contain_text("About: Withdrawal rupture at minute 12")
    box.focus()
    bob_page.keyboard.type("What did you notice in yourself just before this?")
    bob_page.keyboard.press("Tab")  # the help text is not focusable: the button is next
    expect(moment.get_by_role("button", name="Add comment")).to_be_focused()
    with bob_page.expect_navigation():
        bob_page.keyboard.press("Enter")
    thread = bob_page.locator(f"#event-{rupture.code} article.thread")
    expect(thread).to_contain_text("What did you notice in yourself")
    expect(bob_page.get_by_text("sees it on their home page")).to_be_visible()
    assert_no_serious_axe_violations(bob_page)

    # Alice sees the thread on her home, opens it and replies in place.
    alice_page.goto(f"{live_server.url}/")
    threads = alice_page.get_by_role("region", name="Supervision threads")
    expect(threads).to_contain_text("What did you notice in yourself")
    expect(threads).to_contain_text("Awaiting you")
    assert_no_serious_axe_violations(alice_page)
    tab_to(alice_page, "Jay, session of")
    with alice_page.expect_navigation():
        alice_page.keyboard.press("Enter")
    thread = alice_page.locator(f"#event-{rupture.code} article.thread")
    expect(thread).to_contain_text("What did you notice in yourself")
    # An empty reply is refused beside the field, and focus goes to the field.
    thread.get_by_role("button", name=re.compile("^Reply")).focus()
    alice_page.keyboard.press("Enter")
    expect(thread.get_by_label("Reply")).to_be_focused()
    expect(thread.locator(".field-error")).to_be_visible()
    alice_page.keyboard.type("A wish to be liked; I moved on to avoid it.")
    alice_page.keyboard.press("Tab")
    expect(thread.get_by_role("button", name=re.compile("^Reply"))).to_be_focused()
    alice_page.keyboard.press("Enter")
    thread = alice_page.locator(f"#event-{rupture.code} article.thread")
    expect(thread.locator(".replies")).to_contain_text("A wish to be liked")
    # Focus follows the swap to the reply just added, not the top of the page.
    expect(thread.locator(".replies > li").last).to_be_focused()
    assert_no_serious_axe_violations(alice_page)

    # Bob finds Alice's reply waiting for him and resolves the thread.
    bob_page.goto(f"{live_server.url}/")
    threads = bob_page.get_by_role("region", name="Supervision threads")
    expect(threads).to_contain_text("Awaiting you")
    tab_to(bob_page, "Jay, session of")
    with bob_page.expect_navigation():
        bob_page.keyboard.press("Enter")
    thread = bob_page.locator(f"#event-{rupture.code} article.thread")
    expect(thread).to_contain_text("A wish to be liked")
    thread.get_by_role("button", name=re.compile("^Mark resolved")).focus()
    bob_page.keyboard.press("Enter")
    expect(bob_page.locator(f"#event-{rupture.code} article.thread")).to_contain_text(
        "Resolved by Bob Supervisor"
    )
    expect(bob_page.locator(f"#event-{rupture.code} article.thread")).to_be_focused()
    assert_no_serious_axe_violations(bob_page)

    alice_page.goto(f"{live_server.url}/")
    expect(alice_page.get_by_text("What did you notice in yourself")).to_have_count(0)
    assert note.comments.get().resolved_by_id == bob.pk
