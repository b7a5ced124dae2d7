"""Session management: idle and absolute limits, logout everywhere, cookies (SESS-01..06)."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import PASSWORD, mark_recently_authenticated, sign_in

pytestmark = pytest.mark.django_db

BACKGROUND = {"X-IPNB-Background": "1"}


def _signed_in(user) -> Client:
    browser = Client()
    assert sign_in(browser, user).status_code == 302
    assert browser.get("/").status_code == 200
    return browser


# --- SESS-01: idle timeout ----------------------------------------------------------------------


def test_sixteen_idle_minutes_end_the_session(alice):
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        key = browser.session.session_key
        traveller.shift(16 * 60)
        response = browser.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(session_key=key).exists()
    event = AuditEvent.objects.get(action="auth.session_timeout")
    assert event.changes == {"reason": "idle"}


def test_an_idle_htmx_request_gets_hx_redirect_not_a_login_page(alice):
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        traveller.shift(16 * 60)
        response = browser.get(
            "/",
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http://testserver/clients/",
            },
        )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("account_login") + "?next=/clients/"
    assert b"<form" not in response.content


def test_an_idle_background_save_gets_401_json(alice):
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        traveller.shift(16 * 60)
        response = browser.post("/", headers=BACKGROUND)
    assert response.status_code == 401
    assert response.json()["error"] == "login_required"
    assert "Clear-Site-Data" not in response  # the editor page keeps its text


def test_background_requests_do_not_extend_idleness(alice):
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        for _ in range(7):  # polling every two minutes, 14 minutes in all
            traveller.shift(120)
            assert browser.get("/", headers=BACKGROUND).status_code == 200
        traveller.shift(120)  # minute 16 since the last real activity
        assert browser.get("/").status_code == 302


def test_real_activity_keeps_the_session_alive(alice):
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        for _ in range(5):
            traveller.shift(10 * 60)
            assert browser.get("/").status_code == 200


def test_the_idle_limit_is_configurable(alice, settings):
    settings.IDLE_TIMEOUT_SECONDS = 5 * 60
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        traveller.shift(6 * 60)
        assert browser.get("/").status_code == 302


# --- SESS-02: absolute lifetime -------------------------------------------------------------------


def test_twelve_hours_end_the_session_even_when_active(alice):
    with time_machine.travel(time.time(), tick=False) as traveller:
        browser = _signed_in(alice)
        for _ in range(12 * 6):  # active every 10 minutes for 12 hours
            traveller.shift(10 * 60)
            last = browser.get("/")
            if last.status_code != 200:
                break
        traveller.shift(60)
        response = browser.get("/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="auth.session_timeout", changes__reason="absolute"
    ).exists()


# --- SESS-03 -----------------------------------------------------------------------------------


def test_signing_in_issues_a_new_session_id(alice):
    browser = Client()
    browser.get(reverse("account_login"))
    browser.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    before = browser.cookies["sessionid"].value
    assert sign_in(browser, alice).status_code == 302
    assert browser.cookies["sessionid"].value != before


def test_re_authenticating_issues_a_new_session_id(alice):
    browser = _signed_in(alice)
    before = browser.cookies["sessionid"].value
    response = browser.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    after = browser.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert browser.get("/").status_code == 200
    # Only once per re-authentication: the next request keeps the new id.
    browser.get("/")
    assert browser.cookies["sessionid"].value == after


# --- SESS-04 -----------------------------------------------------------------------------------


def test_logout_invalidates_the_session_server_side_and_clears_site_data(alice):
    browser = _signed_in(alice)
    cookie = browser.cookies["sessionid"].value
    response = browser.post(reverse("account_logout"))
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(session_key=cookie).exists()
    assert AuditEvent.objects.filter(action="auth.logout", actor=alice).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/").status_code == 302


def test_deactivation_ends_the_next_request(alice, ada):
    browser = _signed_in(alice)
    from accounts import services

    services.user_deactivate(user=alice, by=ada)
    assert browser.get("/").status_code == 302


def test_a_password_change_ends_the_other_sessions(alice):
    laptop = _signed_in(alice)
    phone = _signed_in(alice)
    mark_recently_authenticated(laptop, alice)
    new = "a different long passphrase for alice"
    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302, response.content.decode()[:400]
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_change").exists()


def test_an_admin_ends_a_users_sessions(client, ada, alice):
    browser = _signed_in(alice)
    client.force_login(ada)
    response = client.post(reverse("accounts:user_end_sessions", args=[alice.code]))
    assert response.status_code == 302
    assert browser.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="user.end_sessions").exists()


# --- SESS-06 -----------------------------------------------------------------------------------


def test_production_cookies_are_secure_host_only_and_http_only():
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)"
    )
    out = _production_settings_output(code, sys.executable, subprocess)
    assert out.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "True",
        "Lax",
    ]


def _production_settings_output(code, python, subprocess) -> str:
    import os

    env = {
        **os.environ,
        "IPNB_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
        "AUDIT_HMAC_KEY": "y" * 40,
        "ALLOWED_HOSTS": "notes.example.org",
        "DJANGO_SETTINGS_MODULE": "ipnb_notes.settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or "postgresql://ipnb_app@/ipnb?host=/var/run/postgresql",
        "AUDIT_ANCHOR_FILE": "/nonexistent/audit-anchors.jsonl",
    }
    result = subprocess.run(
        [python, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


# --- AUD-08: refused access is recorded -----------------------------------------------------------


def test_a_refused_record_leaves_an_access_denied_event(client, charlie, alice):
    from tests.factories import make_client

    record = make_client(alice)
    client.force_login(charlie)
    response = client.get(reverse("clients:client_detail", args=[record.code]))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor == charlie
    assert event.target_code == str(record.code)
    assert event.changes == {
        "status": 404,
        "method": "GET",
        "view": "clients:client_detail",
    }
