"""A user without a second factor signs in, is sent to set one up, scans (here: reads) the
TOTP secret, confirms a code and only then reaches the app; no CSP violation on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_serious_axe_violations
from tests.factories import PASSWORD, make_user, steady_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_user_must_enrol_a_second_factor_before_anything_else(page, live_server):
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    user = make_user(email="newbie@example.org", full_name="New Bie", mfa=False)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/")

    # Any other page sends them back to enrolment.
    page.goto(f"{live_server.url}/clients/")
    page.wait_for_url("**/accounts/2fa/")
    assert_no_serious_axe_violations(page)

    page.get_by_role("link", name="Activate").first.click()
    if "/reauthenticate/" in page.url:  # allauth may ask for the password once more
        page.get_by_label(re.compile("Password")).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url("**/2fa/totp/activate/**")
    assert_no_serious_axe_violations(page)
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.get_by_label("Authenticator code").fill(steady_totp_code(secret, margin=8))
    page.get_by_role("button", name="Activate").click()
    # allauth shows the new recovery codes next; then the app opens.
    page.wait_for_url(re.compile(r".*/2fa/.*"))
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    assert violations == []
