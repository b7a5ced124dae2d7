"""The practice admin sees who has a second factor, on the user list (with a filter kept in the
query string) and on the user page; the list costs the same SQL whatever the number of users."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import mfa
from accounts.models import User
from ipnb_notes.middleware.security import user_has_mfa
from tests.factories import make_user, mark_recently_authenticated

pytestmark = pytest.mark.django_db

LIST_URL = reverse("accounts:user_list")
SET_UP = mfa.SecondFactorStatus.SET_UP
NOT_SET_UP = mfa.SecondFactorStatus.NOT_SET_UP


def _names(response) -> list[str]:
    return [u.full_name for u in response.context["page"].object_list]


def _recovery_codes_only(user: User) -> None:
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"migrated_codes": []}
    )


def _webauthn(user: User) -> None:
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"}
    )


@pytest.fixture
def team(ada, alice):
    nia = make_user(full_name="Nia Pending", mfa=False)
    omar = make_user(full_name="Omar Codes", mfa=False)
    _recovery_codes_only(omar)
    kim = make_user(full_name="Kim Key", mfa=False)
    _webauthn(kim)
    return {"nia": nia, "omar": omar, "kim": kim}


def test_the_list_shows_each_users_second_factor(client, ada, alice, team):
    client.force_login(ada)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    rows = {u.full_name: u.second_factor for u in response.context["page"]}
    assert rows["Alice Therapist"].is_set_up
    assert rows["Alice Therapist"].kinds == ["Authenticator app"]
    assert rows["Kim Key"].kinds == ["Security key"]
    assert not rows["Nia Pending"].is_set_up
    # Recovery codes alone are not a second factor.
    assert not rows["Omar Codes"].is_set_up
    assert rows["Omar Codes"].recovery_codes
    html = response.content.decode()
    assert '<th scope="col">Second factor</th>' in html
    assert f'<span class="badge badge-warn">{NOT_SET_UP.label}</span>' in html
    assert f'{SET_UP.label} <span class="muted">(Security key)</span>' in html


def test_the_filter_lists_who_has_not_set_one_up(client, ada, alice, team):
    client.force_login(ada)

    missing = client.get(LIST_URL, {"second_factor": NOT_SET_UP.value})
    present = client.get(LIST_URL, {"second_factor": SET_UP.value})

    assert _names(missing) == ["Nia Pending", "Omar Codes"]
    assert _names(present) == ["Ada Admin", "Alice Therapist", "Kim Key"]
    # The filter is kept in the page's own links and in the select.
    html = missing.content.decode()
    assert f'<option value="{NOT_SET_UP.value}" selected>' in html


def test_the_filter_combines_with_the_search_and_the_other_filters(
    client, ada, alice, team
):
    client.force_login(ada)

    searched = client.post(
        LIST_URL,
        {"q": "codes", "second_factor": NOT_SET_UP.value, "role": "THERAPIST"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver{LIST_URL}",
        },
    )

    assert _names(searched) == ["Omar Codes"]
    # The address bar gets the filters, never the term.
    pushed = searched["HX-Push-Url"]
    assert f"second_factor={NOT_SET_UP.value}" in pushed
    assert "codes" not in pushed.lower().replace("second_factor", "")


def test_pagination_links_keep_the_filter(client, ada):
    for n in range(52):
        make_user(full_name=f"Pending {n:02d}", mfa=False)
    client.force_login(ada)

    html = client.get(LIST_URL, {"second_factor": NOT_SET_UP.value}).content.decode()

    assert f'href="?second_factor={NOT_SET_UP.value}&amp;sort=name&amp;page=2"' in html


@pytest.mark.parametrize(
    "value", ["", "yes", "SET-UP", "set-up'--", "\u202e", "1" * 500]
)
def test_an_unknown_filter_value_filters_nothing(client, ada, alice, team, value):
    client.force_login(ada)

    response = client.get(LIST_URL, {"second_factor": value})

    assert response.status_code == 200
    assert len(_names(response)) == 5


def test_the_list_costs_the_same_queries_for_many_users_and_factors(client, ada):
    client.force_login(ada)

    def count(params) -> int:
        client.get(LIST_URL, params)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST_URL, params).status_code == 200
        return len(ctx.captured_queries)

    make_user()
    make_user(mfa=False)
    few = {p: count({"second_factor": p}) for p in ("", SET_UP, NOT_SET_UP)}
    for n in range(30):
        user = make_user(mfa=n % 2 == 0)
        if n % 3 == 0:
            _webauthn(user)
    many = {p: count({"second_factor": p}) for p in ("", SET_UP, NOT_SET_UP)}
    assert many == few
    assert max(many.values()) <= 10


def test_the_user_page_shows_the_second_factor(client, ada, team):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)

    kim = client.get(team["kim"].get_absolute_url()).content.decode()
    nia = client.get(team["nia"].get_absolute_url()).content.decode()

    assert f"{SET_UP.label}: Security key" in kim
    assert f'<span class="badge badge-warn">{NOT_SET_UP.label}</span>' in nia
    assert "asked to set one up at their next sign-in" in nia


def test_the_admins_status_agrees_with_the_sign_in_rule(ada, alice, team):
    """The list's "set up" and the middleware that sends users to enrolment must never drift."""
    annotated = {
        u.pk: u.has_second_factor for u in mfa.with_second_factor(User.objects.all())
    }
    for user in User.objects.all():
        assert annotated[user.pk] == user_has_mfa(user), user
        assert mfa.second_factor_summary(user).is_set_up == user_has_mfa(user), user


def test_clinicians_cannot_see_or_filter_the_list(personas):
    for name in ("alice", "bob", "charlie"):
        browser = Client()
        browser.force_login(personas[name])
        response = browser.get(LIST_URL, {"second_factor": NOT_SET_UP.value})
        assert response.status_code == 404
