"""A therapist creates a client, adds a goal and reads the client page, in Chromium with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients.models import Client, TreatmentGoal
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_creates_a_client_adds_a_goal_and_sees_the_client_page(
    page, live_server, alice
):
    make_client(alice, legal_name="Existing Person", pronouns="he/him")
    login(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Clients"
    ).click()
    page.wait_for_url(re.compile(r"/clients/$"))
    assert page.get_by_role("link", name="Existing Person").is_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="New client").click()
    page.get_by_label("Legal name").fill("Theodora Quinn")
    page.get_by_label("Preferred name").fill("Teddy")
    page.get_by_label("Pronouns").fill("they/them")
    page.get_by_label("Date of birth").fill("1994-05-17")
    page.get_by_label("Intake date").fill("2026-01-12")
    # A bad ICD-10 line is refused beside the field, and nothing typed is lost.
    page.get_by_label("Diagnoses").fill("F41.1 Generalized anxiety disorder\nXX Worry")
    page.get_by_label("Presenting concerns").fill("Wants steadier sleep.")
    page.get_by_role("button", name="Create client").click()
    assert page.get_by_text("Line 2: “XX” is not an ICD-10 code").is_visible()
    assert (
        page.get_by_label("Presenting concerns").input_value()
        == "Wants steadier sleep."
    )
    assert_no_serious_axe_violations(page)
    page.get_by_label("Diagnoses").fill("F41.1 Generalized anxiety disorder")
    page.get_by_role("button", name="Create client").click()

    created = Client.objects.get(legal_name="Theodora Quinn")
    page.wait_for_url(re.compile(rf"/clients/{created.code}/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Teddy")
    assert page.get_by_text("(they/them)").is_visible()
    assert page.get_by_text("Generalized anxiety disorder").is_visible()

    page.get_by_text("Add a goal").click()
    page.get_by_role("textbox", name="Goal", exact=True).fill(
        "Sleep through most nights"
    )
    page.get_by_role("button", name="Add goal").click()
    page.wait_for_url(re.compile(r"#goals$"))
    assert page.get_by_text("Sleep through most nights").is_visible()
    assert TreatmentGoal.objects.get(client=created).text == "Sleep through most nights"
    assert page.get_by_role("link", name="New session").first.is_visible()
    assert_no_serious_axe_violations(page)

    # Marking the goal met moves it out of the active list.
    page.get_by_label("Status of this goal").select_option("MET")
    page.get_by_role("button", name="Set status").click()
    assert page.get_by_text("No active goal.").is_visible()


def test_the_caseload_search_swaps_the_table_in_place(page, live_server, alice):
    make_client(alice, legal_name="Marisol Vega", preferred_name="Mari")
    make_client(alice, legal_name="Jonathan Ames")
    login(page, live_server, alice)
    page.goto(f"{live_server.url}/clients/")
    page.get_by_label("Search by name").fill("mari")
    rows = page.locator("#client-rows tbody tr")
    rows.first.wait_for()
    # expect() polls from Python; wait_for_function would eval() in the page, which CSP forbids.
    expect(rows).to_have_count(1)
    assert "Mari (Marisol Vega)" in rows.first.inner_text()
    # The page itself was not reloaded: the search box keeps focus.
    assert page.evaluate("document.activeElement.id") == "id_q"
    # The filters go into the address bar and the history; the name never does.
    page.get_by_label("Status").select_option("all")
    page.wait_for_url(re.compile(r"status=all"))
    assert "mari" not in page.url.lower()
    assert page.get_by_label("Search by name").input_value() == "mari"
    assert "Mari (Marisol Vega)" in rows.first.inner_text()
