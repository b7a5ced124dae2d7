"""A therapist records a client's authorization, releases the record as a PDF and finds the
release, with its digest, in the client's accounting of disclosures; in Chromium with axe."""

from __future__ import annotations

import hashlib
import re

import pytest

from disclosures.models import Disclosure
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import PASSWORD, make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_releases_the_record_and_sees_it_accounted(
    page, live_server, alice
):
    record = make_client(alice, legal_name="Robin Release")
    login(page, live_server, alice)
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    page.get_by_role("link", name="Disclosures").click()
    page.wait_for_url(re.compile(r"/disclosures/$"))
    assert page.get_by_text("No disclosure in the last six years.").is_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="Record an authorization").click()
    page.get_by_label("Purpose").select_option("CONTINUITY_OF_CARE")
    page.get_by_label("Recipient").fill("Dr. Lee, Riverside Clinic")
    page.get_by_label("Signed by the client on").fill("2099-01-01")
    page.get_by_role("button", name=re.compile("Record", re.I)).click()
    # A future signing date is refused beside the field; what was typed stays.
    assert page.get_by_text("The signing date cannot be in the future.").is_visible()
    assert page.get_by_label("Recipient").input_value() == "Dr. Lee, Riverside Clinic"
    assert_no_serious_axe_violations(page)
    page.get_by_label("Signed by the client on").fill("2026-01-05")
    page.get_by_role("button", name=re.compile("Record", re.I)).click()
    page.wait_for_url(re.compile(r"/disclosures/$"))
    assert page.get_by_role("cell", name="Dr. Lee, Riverside Clinic").is_visible()

    page.get_by_role("link", name="Release the record").click()
    # A release leaves the practice: the password is asked for again first (sudo mode).
    page.wait_for_url(re.compile(r"/reauthenticate/"))
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url(re.compile(r"/disclosures/release/$"))
    page.get_by_label("Recipient").fill("Dr. Lee, Riverside Clinic")
    page.get_by_label("Purpose").select_option("CONTINUITY_OF_CARE")
    page.get_by_label("Description").fill("Summary of treatment for the new clinician.")
    assert_no_serious_axe_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Release and download the PDF").click()
    pdf = download_info.value.path().read_bytes()

    assert pdf.startswith(b"%PDF")
    disclosure = Disclosure.objects.get(client=record)
    assert disclosure.sha256 == hashlib.sha256(pdf).hexdigest()
    page.goto(f"{live_server.url}/clients/{record.code}/disclosures/")
    row = page.locator(f"#d-{disclosure.code}")
    assert "Summary of treatment for the new clinician." in row.inner_text()
    assert disclosure.sha256 in row.inner_text()
    assert_no_serious_axe_violations(page)
