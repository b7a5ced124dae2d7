"""The practice admin invites a therapist, who sets a password from the email and signs in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from accounts.models import User
from tests.e2e.helpers import assert_no_serious_axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet harbour at dawn 2026"


def test_it_invites_a_user_who_then_signs_in(page, live_server, ada):
    login(page, live_server, ada)
    page.get_by_role("link", name="Invite a user").first.click()
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

    login(page, live_server, User.objects.get(email="nia@example.org"), PASSWORD)
    assert page.get_by_text("Good to see you").first.is_visible()
    assert_no_serious_axe_violations(page)

    # The link worked once.
    page.goto(live_server.url + invitation_path)
    assert page.get_by_role(
        "heading", name="This invitation link cannot be used"
    ).is_visible()
