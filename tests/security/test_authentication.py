"""Authentication: second factor for every role, lockout, password policy (AUTH-01..07)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.mfa import totp_code
from accounts.models import User
from audit.models import AuditEvent
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    make_user,
    mark_recently_authenticated,
    sign_in,
    steady_totp_code,
)
from tests.test_every_url_requires_login import PUBLIC
from tests.urlwalk import all_routes

pytestmark = pytest.mark.django_db

# Views a signed-in user without a second factor may still reach (besides public ones).
ENROLMENT_ALLOWED = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_reauthenticate",
    "account_reauthenticate",
    "account_logout",
    "account_login",
    "healthz",
}


# --- AUTH-01 ---------------------------------------------------------------------------------


def test_emails_are_unique_ignoring_case():
    make_user(email="dana@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="DANA@example.org", full_name="Dana Again")


def test_no_default_or_shared_account_exists_after_migrate():
    assert not User.objects.filter(email__iregex=r"^(admin|root|test)(@|$)").exists()


# --- AUTH-02 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [r for r in all_routes() if r.name not in ENROLMENT_ALLOWED | PUBLIC],
    ids=str,
)
def test_an_unenrolled_user_is_sent_to_enrolment_from_every_page(client, route):
    user = make_user(mfa=False)
    client.force_login(user)
    response = client.get(route.path)
    assert response.status_code == 302, route.path
    assert response["Location"] == reverse("mfa_index")


def test_an_unenrolled_htmx_request_gets_hx_redirect_and_background_a_401(client):
    client.force_login(make_user(mfa=False))
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == reverse("mfa_index")
    background = client.post("/", headers={"X-IPNB-Background": "1"})
    assert background.status_code == 401
    assert background.json()["error"] == "mfa_enrolment_required"


def test_enrolment_pages_stay_reachable_before_enrolment(client):
    user = make_user(mfa=False)
    client.force_login(user)
    mark_recently_authenticated(client, user)
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_enrolling_totp_through_the_form_opens_the_app(client):
    user = make_user(mfa=False)
    client.force_login(user)
    mark_recently_authenticated(client, user)
    page = client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    assert page.status_code == 200
    response = client.post(
        reverse("mfa_activate_totp"), {"code": steady_totp_code(secret)}
    )
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_added").exists()
    # AUTH-07 (3): the user is told by email when a second factor changes.
    assert any(
        "two-factor" in m.subject.lower()
        or "authenticator" in m.subject.lower()
        or "totp" in m.body.lower()
        for m in mail.outbox
    )


def test_a_correct_password_alone_does_not_sign_in(client, alice):
    response = client.post(
        reverse("account_login"), {"login": alice.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302

    second = client.post(
        reverse("mfa_authenticate"), {"code": steady_totp_code(TOTP_SECRET)}
    )
    assert second.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.get("/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.mfa_success", "auth.login"} <= actions


def test_the_django_admin_is_not_exposed(client, ada):
    client.force_login(ada)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert "django.contrib.admin" not in settings.INSTALLED_APPS


# --- AUTH-03 ---------------------------------------------------------------------------------


def test_a_totp_code_works_only_once(client, alice):
    import time

    import time_machine

    # The clock stands still: a code is valid for its 30-second period alone (no tolerance),
    # and a slow run must not cross into the next period between its two uses.
    with time_machine.travel(time.time(), tick=False):
        code = totp_code(TOTP_SECRET)
        client.post(
            reverse("account_login"), {"login": alice.email, "password": PASSWORD}
        )
        assert (
            client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
        )
        client.logout()

        other = Client()
        other.post(
            reverse("account_login"), {"login": alice.email, "password": PASSWORD}
        )
        replay = other.post(reverse("mfa_authenticate"), {"code": code})
        assert replay.status_code == 200
        assert "Incorrect code" in replay.content.decode()
        assert "_auth_user_id" not in other.session


def test_a_code_from_another_period_is_refused(client, alice):
    import time

    old = totp_code(TOTP_SECRET, at=time.time() - 60)
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": old}).status_code == 200
    assert settings.MFA_TOTP_TOLERANCE == 0


def test_the_replay_guard_uses_a_cache_shared_by_every_process():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


def test_totp_seeds_are_encrypted_at_rest(alice):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data::text FROM mfa_authenticator WHERE user_id = %s", [alice.pk]
        )
        (raw,) = cursor.fetchone()
    assert TOTP_SECRET not in raw
    assert TOTP_SECRET.lower() not in raw.lower()


def test_no_bypass_code_is_configured():
    from allauth.mfa import app_settings

    assert settings.MFA_TOTP_INSECURE_BYPASS_CODE is None
    assert app_settings.TOTP_INSECURE_BYPASS_CODE is None


def test_the_demo_second_factor_is_refused_outside_development(alice, settings):
    from accounts.mfa import enrol_demo_totp

    settings.IPNB_ENV = "production"
    with pytest.raises(RuntimeError):
        enrol_demo_totp(alice)


def test_the_last_second_factor_cannot_be_removed_by_its_user(client, alice):
    from accounts.mfa import MFAAdapter

    totp = Authenticator.objects.get(user=alice, type="totp")
    assert not MFAAdapter().can_delete_authenticator(totp)


# --- AUTH-04 ---------------------------------------------------------------------------------


def _attempt(client, login, password, **extra):
    return client.post(
        reverse("account_login"), {"login": login, "password": password}, **extra
    )


def test_repeated_failures_lock_out_even_the_right_password(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _attempt(client, alice.email, "wrong password, sorry")
    locked = _attempt(client, alice.email, PASSWORD)
    # allauth's own rate limit or django-axes answers first; either way no sign-in.
    assert locked.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "mfa" not in locked.get("Location", "")
    assert AuditEvent.objects.filter(action="auth.lockout").exists()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 5


def test_the_persistent_lockout_holds_without_allauths_rate_limits(
    client, alice, settings
):
    settings.ACCOUNT_RATE_LIMITS = False
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, alice.email, "wrong password, sorry")
    locked = _attempt(client, alice.email, PASSWORD)
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_user_and_wrong_password_look_the_same(client, alice):
    wrong = _attempt(client, alice.email, "not the password at all")
    unknown = _attempt(Client(), "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200

    def body(response):
        import re

        text = response.content.decode()
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        text = re.sub(r'nonce="[^"]+"', "", text)
        text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
        return text.replace(alice.email, "X").replace("nobody@example.org", "X")

    assert body(wrong) == body(unknown)


def test_unknown_users_are_locked_out_too(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "nobody@example.org", "guess guess guess")
    assert _attempt(client, "nobody@example.org", "guess").status_code == 429


def test_wrong_totp_codes_are_rate_limited(client, alice):
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    good = totp_code(TOTP_SECRET)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(10):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    blocked = client.post(reverse("mfa_authenticate"), {"code": good})
    assert "_auth_user_id" not in client.session
    assert blocked.status_code in (200, 429)
    assert AuditEvent.objects.filter(action="auth.mfa_failure").count() >= 5


def test_a_forged_forwarded_for_does_not_dodge_the_lockout(client, alice, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(
            client,
            alice.email,
            "wrong password, sorry",
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
    locked = _attempt(
        client, alice.email, PASSWORD, headers={"X-Forwarded-For": "198.51.100.7"}
    )
    assert locked.status_code == 429


def test_a_configured_proxy_is_trusted_for_exactly_its_own_entry(rf, settings):
    from ipnb_notes.http import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    request.META["REMOTE_ADDR"] = "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.9"


# --- AUTH-05 / AUTH-06 -------------------------------------------------------------------------


def test_the_password_policy_follows_asvs():
    user = User(email="policy@example.org", full_name="Pat Policy")
    with pytest.raises(ValidationError):
        validate_password("elevenchars", user)
    with pytest.raises(ValidationError):
        validate_password("password123456", user)
    validate_password(
        "the quiet river carries autumn leaves past the old mill at dusk", user
    )
    validate_password("x" * 7 + " long passphrases are fine " * 4, user)  # 115 chars


def test_passwords_are_hashed_with_pbkdf2_at_full_strength():
    from django.conf import global_settings
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

    from ipnb_notes import settings as project_settings

    # The project keeps Django's default list (tests swap in a fast hasher via conftest).
    hashers = getattr(
        project_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS
    )
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    encoded = make_password("a long enough passphrase", hasher=PBKDF2PasswordHasher())
    algorithm, iterations, *_ = encoded.split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(iterations) >= 1_200_000


# --- AUTH-07 ---------------------------------------------------------------------------------


def test_a_password_reset_still_asks_for_the_second_factor(client, alice):
    import re

    client.post(reverse("account_reset_password"), {"email": alice.email})
    link = re.search(r"https?://[^\s]+/password/reset/key/[^\s]+", mail.outbox[-1].body)
    assert link
    path = "/" + link.group(0).split("/", 3)[3]
    form = client.get(path, follow=True)
    new = "a brand new passphrase for alice"
    client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": new, "password2": new},
    )
    assert "_auth_user_id" not in client.session
    response = client.post(
        reverse("account_login"), {"login": alice.email, "password": new}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_an_admin_resets_a_lost_second_factor_without_choosing_a_password(
    client, ada, alice
):
    alices = Client()
    sign_in(alices, alice)
    assert alices.get("/").status_code == 200
    client.force_login(ada)
    mail.outbox.clear()
    url = reverse("accounts:user_mfa_reset", args=[alice.code])
    # Sudo mode: without a recent re-authentication the admin is asked for it first.
    stale = client.post(url)
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]
    assert Authenticator.objects.filter(user=alice).exists()
    mark_recently_authenticated(client, ada)

    page = client.get(reverse("accounts:user_detail", args=[alice.code]))
    assert "password" not in _form_field_names(page.content.decode(), url)
    response = client.post(url)

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=alice).exists()
    assert alices.get("/").status_code == 302  # her sessions ended
    event = AuditEvent.objects.get(action="user.mfa_reset")
    assert event.actor == ada
    assert event.changes["authenticators"][1] == []
    assert mail.outbox and mail.outbox[0].to == [alice.email]
    # At the next sign-in she must enrol again.
    fresh = Client()
    fresh.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert fresh.get("/")["Location"] == reverse("mfa_index")


def test_only_admins_may_reset_a_second_factor(client, alice, bob):
    client.force_login(bob)
    url = reverse("accounts:user_mfa_reset", args=[alice.code])
    assert client.post(url).status_code == 404
    assert Authenticator.objects.filter(user=alice).exists()


def _form_field_names(html: str, action: str) -> set[str]:
    from html.parser import HTMLParser

    names: set[str] = set()

    class P(HTMLParser):
        inside = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.inside = a.get("action") == action
            elif self.inside and tag in ("input", "select", "textarea"):
                names.add(a.get("name") or "")

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False

    P().feed(html)
    return names


def test_a_128_character_passphrase_is_accepted_end_to_end(client, alice):
    """No maximum below 128: the password-change form takes a long passphrase and it works."""
    from tests.factories import mark_recently_authenticated

    passphrase = ("correct horse battery staple and a quiet river " * 3)[:128]
    assert len(passphrase) == 128
    client.force_login(alice)
    mark_recently_authenticated(client, alice)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": passphrase, "password2": passphrase},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    alice.refresh_from_db()
    assert alice.check_password(passphrase)


def test_lockouts_get_longer_as_failures_pile_up(client, alice, settings):
    """Tiers: after 5 failures 15 minutes; after 10 within a day an hour (AUTH-04)."""
    import time

    import time_machine

    settings.ACCOUNT_RATE_LIMITS = False
    wrong = "wrong password, sorry"
    with time_machine.travel(time.time(), tick=False) as traveller:
        for _ in range(5):
            _attempt(client, alice.email, wrong)
        assert _attempt(client, alice.email, PASSWORD).status_code == 429
        traveller.shift(16 * 60)
        # First tier over: the next attempt is judged again (wrong: the form, not a lockout).
        assert _attempt(client, alice.email, wrong).status_code == 200
        for _ in range(4):  # five more failures: ten within the day
            _attempt(client, alice.email, wrong)
        assert _attempt(client, alice.email, PASSWORD).status_code == 429
        traveller.shift(16 * 60)
        assert (
            _attempt(client, alice.email, wrong).status_code == 429
        )  # second tier: 1 h
        traveller.shift(61 * 60)
        response = _attempt(client, alice.email, PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
