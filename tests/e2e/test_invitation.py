"""The practice admin invites a therapist, who sets a password from the email and signs in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import PASSWORD as ADMIN_PASSWORD
from tests.factories import steady_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet harbour at dawn 2026"


def test_it_invites_a_user_who_then_signs_in(page, live_server, ada):
    login(page, live_server, ada)
    page.get_by_role("link", name="Invite a user").first.click()
    # An invitation can grant any role: the password is asked for again first (sudo mode).
    page.wait_for_url(re.compile(r"/reauthenticate/"))
    page.get_by_label(re.compile("Password")).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url("**/practice/users/invite/")
    assert_no_serious_axe_violations(page)

    page.get_by_label("Full name").fill("Nia Okoro")
    page.get_by_label("Email address").fill("nia@example.org")
    page.get_by_label("Credentials").fill("LMFT")
    page.get_by_label("Role").select_option("THERAPIST")
    page.get_by_role("button", name="Send invitation").click()

    page.get_by_text("Invitation sent to nia@example.org").wait_for()
    assert page.get_by_role("heading", name="Nia Okoro").is_visible()
    assert_no_serious_axe_violations(page)
    assert len(mail.outbox) == 1
    match = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    invitation_path = urlsplit(match.group(0)).path

    page.context.clear_cookies()
    page.goto(live_server.url + invitation_path)
    # The token leaves the address bar (and the history) at once.
    page.wait_for_url(f"{live_server.url}/invitation/set-password/")
    assert page.get_by_role("heading", name="Welcome, Nia Okoro").is_visible()
    assert_no_serious_axe_violations(page)
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="Set password").click()
    assert page.get_by_text("This password is too short.").is_visible()
    assert_no_serious_axe_violations(page)

    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url("**/accounts/login/")
    assert page.get_by_text("Your password is set").is_visible()
    assert_no_serious_axe_violations(page)

    # Password first; every role must then set up a second factor before anything else.
    page.get_by_label("Email").fill("nia@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/")
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    assert_no_serious_axe_violations(page)
    if "/reauthenticate/" in page.url:
        # Setting up a second factor is a sensitive action: allauth may ask again.
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(steady_totp_code(secret, margin=8))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)

    page.goto(f"{live_server.url}/")
    assert page.get_by_text("Good to see you, Nia Okoro").is_visible()
    assert_no_serious_axe_violations(page)

    # The link worked once.
    page.goto(live_server.url + invitation_path)
    assert page.get_by_role(
        "heading", name="This invitation link cannot be used"
    ).is_visible()
