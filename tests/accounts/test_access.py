"""Every account-administration URL: practice admins only; everyone else gets 404 or login."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Supervision
from tests.urlwalk import all_routes

pytestmark = pytest.mark.django_db

# (url name, method, which object's code goes in the URL)
ACCOUNT_URLS = [
    ("accounts:user_list", "get", None),
    ("accounts:user_invite", "get", None),
    ("accounts:user_invite", "post", None),
    ("accounts:user_detail", "get", "user"),
    ("accounts:user_change_role", "post", "user"),
    ("accounts:supervision_create", "post", "user"),
    ("accounts:user_deactivate", "get", "user"),
    ("accounts:user_deactivate", "post", "user"),
    ("accounts:user_reactivate", "post", "user"),
    ("accounts:user_end_sessions", "post", "user"),
    ("accounts:invitation_resend", "post", "user"),
    ("accounts:user_mfa_reset", "post", "user"),
    ("accounts:user_break_glass", "post", "user"),
    ("accounts:supervision_end", "post", "link"),
    ("accounts:practice_settings", "get", None),
    ("accounts:practice_settings", "post", None),
]


def test_the_table_covers_every_accounts_url():
    walked = {r.name for r in all_routes() if r.name.startswith("accounts:")}
    assert walked == {name for name, _, _ in ACCOUNT_URLS}


def _url(name: str, target: str | None, alice) -> str:
    if target is None:
        return reverse(name)
    if target == "user":
        return reverse(name, args=[alice.code])
    return reverse(name, args=[Supervision.objects.get(supervisee=alice).code])


def _call(client, method: str, url: str, **kwargs):
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize(("name", "method", "target"), ACCOUNT_URLS)
@pytest.mark.parametrize("persona", ["alice", "bob", "charlie"])
def test_it_hides_account_administration_from_clinicians(
    client, personas, persona, name, method, target
):
    client.force_login(personas[persona])
    url = _url(name, target, personas["alice"])

    assert _call(client, method, url).status_code == 404


@pytest.mark.parametrize(("name", "method", "target"), ACCOUNT_URLS)
def test_it_lets_the_practice_admin_in(client, personas, name, method, target):
    client.force_login(personas["ada"])
    url = _url(name, target, personas["alice"])

    response = _call(client, method, url)

    # Pages answer 200; actions redirect back; a blank invite form re-renders with errors.
    assert response.status_code in (200, 302, 400), response.status_code


@pytest.mark.parametrize(("name", "method", "target"), ACCOUNT_URLS)
def test_it_sends_anonymous_visitors_to_login(client, personas, name, method, target):
    url = _url(name, target, personas["alice"])

    response = _call(client, method, url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.parametrize(("name", "method", "target"), ACCOUNT_URLS)
def test_it_sends_anonymous_htmx_requests_an_hx_redirect(
    client, personas, name, method, target
):
    url = _url(name, target, personas["alice"])

    response = _call(client, method, url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))
    assert b"<html" not in response.content


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "ada"])
def test_an_unknown_code_is_404_for_everyone(client, personas, persona):
    client.force_login(personas[persona])
    url = reverse("accounts:user_detail", args=["00000000-0000-0000-0000-000000000001"])

    assert client.get(url).status_code == 404


def test_a_deactivated_admin_loses_access(client, ada, alice):
    from accounts import services
    from tests.factories import make_user

    other_admin = make_user(role=ada.Role.ADMIN)
    client.force_login(ada)
    services.user_deactivate(user=ada, by=other_admin)

    response = client.get(reverse("accounts:user_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
