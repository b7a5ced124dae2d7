"""The site's header (templates/jinja2/components/_site_header.html, included by base.html):
each role's navigation with its current section marked, who is signed in printed as text, the
sign-out form with its CSRF token, and no navigation for a visitor or a page rendered without
a request."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _header(html: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)


def _nav(html: str) -> dict[str, tuple[str, bool]]:
    """Label -> (href, marked current) of the main navigation's links."""
    links = re.findall(
        r'<li><a href="([^"]*)" (aria-current="page")?>([^<]*)</a></li>', _header(html)
    )
    return {label: (href, bool(current)) for href, current, label in links}


def _signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_clinician_sees_the_clinical_sections_with_the_current_one_marked(alice):
    html = _signed_in(alice).get(reverse("clients:client_list")).content.decode()
    assert _nav(html) == {
        "Home": (reverse("home"), False),
        "Clients": (reverse("clients:client_list"), True),
        "Calendar": (reverse("sessions:calendar"), False),
        "Dashboards": (reverse("dashboards:index"), False),
    }
    assert f'href="{reverse("account_reminders")}"' in _header(html)


def test_an_admin_sees_users_assignments_and_indicators(ada):
    html = _signed_in(ada).get(reverse("home")).content.decode()
    assert _nav(html) == {
        "Home": (reverse("home"), True),
        "Users": (reverse("accounts:user_list"), False),
        "Clients": (reverse("clients:assign_list"), False),
        "Indicators": (reverse("sessions:indicator_list"), False),
        "Calendar": (reverse("sessions:calendar"), False),
        "Dashboards": (reverse("dashboards:index"), False),
    }
    assert "Reminders" not in _header(html)  # a clinician's page


def test_the_signed_in_name_and_role_print_as_text():
    user = make_user(
        full_name="<script>alert('hdr')</script>", role=User.Role.SUPERVISOR
    )
    html = _signed_in(user).get(reverse("home")).content.decode()
    header = _header(html)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;hdr&#39;)&lt;/script&gt;" in header
    assert '<span class="role-badge">Supervisor</span>' in header


def test_a_user_without_a_name_is_shown_by_email():
    user = make_user(full_name="", email="no.name@example.org")
    header = _header(_signed_in(user).get(reverse("home")).content.decode())
    assert "<span>no.name@example.org <span" in header


def test_the_sign_out_form_carries_the_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    header = _header(browser.get(reverse("home")).content.decode())
    form = re.search(r'<form method="post" action="([^"]+)".*?</form>', header, re.S)
    assert form.group(1) == reverse("account_logout")
    [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    response = browser.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302  # signed out: the token was the request's own


def test_a_visitor_and_a_page_without_a_request_get_no_navigation(client):
    html = client.get(reverse("account_login")).content.decode()
    assert _nav(html) == {}
    assert f'<a class="brand" href="{reverse("home")}">ipnb-notes</a>' in html
    html = render_to_string("base.html")
    assert _nav(html) == {}
    assert "Sign out" not in html
