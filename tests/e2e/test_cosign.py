"""A supervisee signs a note; the supervisor returns it with a comment; the supervisee revises
and signs again; the supervisor co-signs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_return_revise_and_cosign(browser, live_server, alice, bob):
    client = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    session = make_session(client, alice)
    alice_page = browser.new_context().new_page()
    bob_page = browser.new_context().new_page()
    login(alice_page, live_server, alice)
    login(bob_page, live_server, bob)

    # Alice writes and signs: the note goes to Bob's queue.
    alice_page.goto(f"{live_server.url}/sessions/{session.code}/note/")
    with alice_page.expect_navigation():  # the editor, its scripts loaded
        alice_page.get_by_role("button", name="Start the note").click()
    alice_page.get_by_label("Note format").select_option("SOAP")
    alice_page.get_by_label("Subjective").fill("Reports conflict with a sibling.")
    alice_page.get_by_label("Plan", exact=True).fill("Weekly.")
    alice_page.get_by_label(re.compile("I attest that this note")).check()
    alice_page.get_by_role("button", name="Sign note").click()
    expect(
        alice_page.get_by_text("sent to your supervisor for co-signature")
    ).to_be_visible()

    bob_page.goto(f"{live_server.url}/")
    queue = bob_page.get_by_role("region", name="Awaiting your co-signature")
    expect(queue).to_contain_text("Jay")
    assert_no_serious_axe_violations(bob_page)
    queue.get_by_role("link", name="Review").click()
    expect(bob_page.get_by_text("Reports conflict with a sibling.")).to_be_visible()
    assert_no_serious_axe_violations(bob_page)
    bob_page.get_by_label("What needs revising").fill(
        "Please name the interventions and link them to a goal."
    )
    bob_page.get_by_role("button", name=re.compile("Return to")).click()
    expect(
        bob_page.get_by_text("Returned to Alice Therapist for revision.")
    ).to_be_visible()

    # Alice sees it under "Needs revision" with the comment, revises and signs again.
    alice_page.goto(f"{live_server.url}/")
    revision = alice_page.get_by_role("region", name="Needs revision")
    expect(revision).to_contain_text("Please name the interventions")
    assert_no_serious_axe_violations(alice_page)
    revision.get_by_role("link", name=re.compile("Jay")).click()
    alice_page.wait_for_url("**/note/")
    expect(
        alice_page.get_by_role("region", name="Returned for revision")
    ).to_contain_text("Please name the interventions")
    alice_page.get_by_label("Plan", exact=True).fill(
        "Weekly; co-regulation practice (goal 1)."
    )
    alice_page.get_by_label("Co-regulation").check()
    assert_no_serious_axe_violations(alice_page)
    alice_page.get_by_label(re.compile("I attest that this note")).check()
    alice_page.get_by_role("button", name="Sign note").click()
    expect(
        alice_page.get_by_text("sent to your supervisor for co-signature")
    ).to_be_visible()

    # Bob co-signs.
    bob_page.goto(f"{live_server.url}/")
    bob_page.get_by_role("region", name="Awaiting your co-signature").get_by_role(
        "link", name="Review"
    ).click()
    expect(bob_page.get_by_text("co-regulation practice (goal 1)")).to_be_visible()
    bob_page.get_by_label(re.compile("co-sign it as the supervising clinician")).check()
    bob_page.get_by_role("button", name="Co-sign note").click()
    expect(bob_page.get_by_text("Co-signed.")).to_be_visible()

    alice_page.goto(f"{live_server.url}{session.get_absolute_url()}")
    expect(alice_page.get_by_text("Co-signed by supervisor")).to_be_visible()
    expect(alice_page.locator(".note-record .badge").first).to_have_text("Signed")
    assert_no_serious_axe_violations(alice_page)
