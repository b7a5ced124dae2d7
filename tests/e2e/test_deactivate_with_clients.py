"""The practice admin filters the users by second factor, then deactivates a therapist who still
has clients: the confirmation says how many and offers the caseload transfer first; after the
transfer, deactivation is one step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import PASSWORD, make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_transfers_the_caseload_before_deactivating(
    page, live_server, ada, alice, charlie
):
    make_client(alice, legal_name="Rosalind Marsh")
    make_client(alice, legal_name="Tomas Reyes")
    login(page, live_server, ada)

    page.goto(f"{live_server.url}/practice/users/")
    # Who has not set up a second factor: nobody here (the filter swaps the rows in place).
    page.get_by_label("Second factor").select_option(label="Not set up")
    expect(page.get_by_text("No users match these filters.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"second_factor=not-set-up"))
    page.get_by_label("Second factor").select_option(label="Set up")
    expect(page.get_by_role("link", name="Alice Therapist")).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Alice Therapist").click()
    # The user page is in sudo mode: the password is asked for again.
    page.wait_for_url(re.compile(r"/reauthenticate/"))
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("heading", name="Alice Therapist")).to_be_visible()
    expect(page.get_by_text("primary therapist of 2 clients in care")).to_be_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="Deactivate account…").click()
    expect(
        page.get_by_role("heading", name="Alice Therapist still has 2 clients in care")
    ).to_be_visible()
    assert_no_serious_axe_violations(page)

    # Deactivating without saying so is refused, the reason beside the box.
    page.get_by_role("button", name="Deactivate account").click()
    expect(
        page.get_by_text("Transfer the caseload first, or tick this box")
    ).to_be_visible()
    assert_no_serious_axe_violations(page)

    # The transfer is the page's first offer.
    page.get_by_role("link", name="Transfer the caseload first").click()
    expect(
        page.get_by_role("heading", name="Transfer the caseload of Alice Therapist")
    ).to_be_visible()
    page.get_by_label("Move the caseload to").select_option(label="Charlie Unrelated")
    page.get_by_role("button", name="Transfer 2 clients").click()
    expect(page.get_by_text("2 client(s) moved from Alice Therapist")).to_be_visible()

    # Back on her page: no client left, so deactivation is one plain step.
    page.goto(f"{live_server.url}{alice.get_absolute_url()}")
    expect(page.get_by_text("clients in care")).to_have_count(0)
    page.get_by_role("button", name="Deactivate account").click()
    expect(
        page.get_by_text("Alice Therapist is deactivated and signed out everywhere.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate account")).to_be_visible()
    assert_no_serious_axe_violations(page)
    alice.refresh_from_db()
    assert not alice.is_active
