"""Plain make_* helpers with keyword overrides (djangoproject.com's checklists factory style)."""

from __future__ import annotations

import itertools
from datetime import date

from accounts.models import Supervision, User

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


# Every test user has this TOTP secret enrolled unless made with mfa=False
# (tests/e2e/helpers.login computes the code from it).
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def make_user(*, mfa: bool = True, **kwargs) -> User:
    """A user with a password and, by default, an enrolled TOTP authenticator (every role must
    have a second factor; mfa=False makes one who still has to enrol)."""
    n = next(_seq)
    kwargs.setdefault("email", f"user{n}@example.org")
    kwargs.setdefault("full_name", f"User {n}")
    kwargs.setdefault("role", User.Role.THERAPIST)
    password = kwargs.pop("password", PASSWORD)
    user = User.objects.create_user(password=password, **kwargs)
    if mfa:
        from accounts.mfa import enrol_totp

        enrol_totp(user, TOTP_SECRET)
    return user


def make_supervision(supervisor: User, supervisee: User, **kwargs) -> Supervision:
    kwargs.setdefault("started_on", date(2025, 1, 1))
    return Supervision.objects.create(
        supervisor=supervisor, supervisee=supervisee, **kwargs
    )


def make_client(therapist: User | None = None, **kwargs):
    """A client, assigned to `therapist` as primary therapist when given."""
    from clients.models import CaseAssignment, Client

    n = next(_seq)
    kwargs.setdefault("legal_name", f"Client Number{n}")
    kwargs.setdefault("intake_date", date(2025, 1, 6))
    client = Client.objects.create(**kwargs)
    if therapist is not None:
        CaseAssignment.objects.create(
            client=client, therapist=therapist, started_on=date(2025, 1, 6)
        )
    return client


def make_session(client, therapist: User, **kwargs):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sessions.models import TherapySession

    kwargs.setdefault(
        "starts_at", datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    )
    kwargs.setdefault("status", TherapySession.Status.ATTENDED)
    return TherapySession.objects.create(client=client, therapist=therapist, **kwargs)


def make_note(session, **kwargs):
    """A draft progress note for an attended session (sign it through the service)."""
    from sessions.models import ProgressNote

    kwargs.setdefault("author", session.therapist)
    kwargs.setdefault(
        "sections",
        {"subjective": "Client reports a calmer week.", "plan": "Continue weekly."},
    )
    return ProgressNote.objects.create(session=session, client=session.client, **kwargs)


def steady_totp_code(secret: str = TOTP_SECRET, margin: float = 3.0) -> str:
    """The current TOTP code, taken early enough in its 30-second period to still be valid
    when the server checks it: the server accepts the current period's code alone, so when
    fewer than `margin` seconds remain this waits for the next period. (Under a stopped
    clock the code stays valid however long the wait, so one sleep is enough.)"""
    import time

    from accounts.mfa import totp_code

    remaining = 30 - time.time() % 30
    if remaining < margin:
        time.sleep(remaining + 0.1)
    return totp_code(secret)


def sign_in(client, user, password: str = PASSWORD, secret: str = TOTP_SECRET):
    """Sign a test client in through the real forms: password, then the TOTP step. Returns
    the response to the second step (a redirect when both steps passed)."""
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache
    from django.urls import reverse

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": password}
    )
    if response.status_code != 302 or "/2fa/" not in response["Location"]:
        return response
    code = steady_totp_code(secret)
    # A code is accepted once per 30 s; a second sign-in by the same user within one test
    # forgets the first use (the replay rule has its own test in tests/security).
    from allauth.mfa.models import Authenticator

    for auth in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP):
        cache.delete(TOTP(auth)._get_used_cache_key(code))
    return client.post(reverse("mfa_authenticate"), {"code": code})


def make_goal(client, created_by: User, **kwargs):
    from clients.models import TreatmentGoal

    kwargs.setdefault(
        "text", "Notice early signs of overwhelm and use a grounding practice."
    )
    return TreatmentGoal.objects.create(client=client, created_by=created_by, **kwargs)


def make_assignment(client, therapist: User, **kwargs):
    """An open case assignment (co-therapist unless role is given)."""
    from clients.models import CaseAssignment

    kwargs.setdefault("role", CaseAssignment.Role.CO_THERAPIST)
    kwargs.setdefault("started_on", date(2025, 1, 6))
    return CaseAssignment.objects.create(client=client, therapist=therapist, **kwargs)


def mark_recently_authenticated(client, user) -> None:
    """Let a force-logged-in test client pass sudo mode, as if the user had just re-entered
    their password (what allauth records after its re-authentication form)."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    at = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": at, "reauthenticated": True}
    ]
    # As if the session id had already been renewed for this re-authentication.
    session["ipnb.reauth_cycled_at"] = at
    session.save()
