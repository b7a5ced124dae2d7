"""A view that runs gets the signed-in user itself in request.user, not its lazy wrapper
(ipnb_notes.http.HtmxAwareLoginRequiredMiddleware); anonymous visitors still get the login
redirect, and a page open to anyone still sees an anonymous visitor."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_view_gets_the_user_itself(alice):
    browser = Client()
    browser.force_login(alice)
    response = browser.get(reverse("home"))
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is User
    assert not isinstance(user, SimpleLazyObject)
    assert user.pk == alice.pk
    # The page is the signed-in user's own.
    assert alice.full_name in response.content.decode()


def test_an_anonymous_visitor_is_still_sent_to_sign_in():
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_page_open_to_anyone_still_sees_an_anonymous_visitor():
    response = Client().get(reverse("account_login"))
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
