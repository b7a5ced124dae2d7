"""Anonymous users reach only a short, explicit list of views; everything else sends them to login."""

from __future__ import annotations

import pytest

from tests.urlwalk import all_routes

# Views an anonymous visitor may reach, and why.
PUBLIC = {
    "healthz",  # load balancers and monitors; no PHI
    "csp_report",  # browsers post CSP violation reports, signed in or not
    "accept_invitation",  # the invitee has no password yet
    "measure_link_open",  # a client's one-time questionnaire link; clients have no account
    "measure_link_thanks",  # the page after a client sends their answers
    "sessions:calendar_feed",  # a calendar app reads it; the token in its URL is the key
    "account_login",
    "account_logout",
    "account_signup",  # closed: answers "sign-up is closed"
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_inactive",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_confirm_login_code",  # an allauth sign-in step; with no pending sign-in it goes to login
    "mfa_authenticate",  # the second-factor step of sign-in; with no pending sign-in it goes to login
}

ROUTES = all_routes()


def test_the_walk_finds_the_project_views():
    names = {r.name for r in ROUTES}
    assert {"home", "accounts:user_list", "accounts:user_detail", "healthz"} <= names


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in PUBLIC], ids=str)
@pytest.mark.django_db
def test_it_redirects_anonymous_to_login(client, route):
    for method in ("get", "post"):
        response = getattr(client, method)(route.path)
        assert response.status_code == 302, (
            f"{method.upper()} {route.path} answered {response.status_code}"
        )
        assert response["Location"].startswith("/accounts/login/"), response["Location"]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in PUBLIC], ids=str)
@pytest.mark.django_db
def test_it_sends_htmx_requests_an_hx_redirect(client, route):
    response = client.get(
        route.path,
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/x/?a=1"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")
    assert b"<html" not in response.content


@pytest.mark.django_db
def test_public_views_really_are_public(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
