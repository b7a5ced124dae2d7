"""Authentication events go into the audit trail (AUD-08); the session clocks start at login."""

from __future__ import annotations

import time

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

import audit


@receiver(user_logged_in, dispatch_uid="ipnb_session_clocks")
def start_session_clocks(sender, request, user, **kwargs):
    from ipnb_notes.middleware.security import (
        AUTH_AT,
        MFA_ENROLLED,
        SEEN_AT,
        user_has_mfa,
    )

    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[MFA_ENROLLED] = user_has_mfa(user)


def connect() -> None:
    from allauth.account.signals import (
        password_changed,
        password_reset,
    )
    from allauth.account.signals import (
        user_logged_in as allauth_logged_in,
    )
    from allauth.mfa import signals as mfa_signals
    from axes.signals import user_locked_out

    allauth_logged_in.connect(on_login, dispatch_uid="audit_login")
    password_changed.connect(on_password_changed, dispatch_uid="audit_pw_change")
    password_reset.connect(on_password_reset, dispatch_uid="audit_pw_reset")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit_lockout")
    mfa_signals.authenticator_added.connect(on_mfa_added, dispatch_uid="audit_mfa_add")
    mfa_signals.authenticator_removed.connect(
        on_mfa_removed, dispatch_uid="audit_mfa_remove"
    )
    mfa_signals.authenticator_used.connect(on_mfa_used, dispatch_uid="audit_mfa_used")
    mfa_signals.authentication_failed.connect(
        on_mfa_failed, dispatch_uid="audit_mfa_failed"
    )


def on_login(sender, request, user, **kwargs):
    audit.record("auth.login", actor=user, request=request, target=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", actor=user, request=request, target=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The typed name is not recorded: people sometimes type a password into it.
    from accounts.models import User
    from ipnb_notes.lockout import username_of

    name = username_of(request, credentials)
    user = User.objects.filter(email__iexact=name).first() if name else None
    audit.record(
        "auth.login_failed",
        request=request,
        target=user,
        target_type="" if user else "accounts.user",
        changes={"known_account": user is not None},
    )


def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit.record("auth.lockout", request=request, changes={"ip": ip_address})


def on_password_changed(sender, request, user, **kwargs):
    audit.record("auth.password_change", actor=user, request=request, target=user)


def on_password_reset(sender, request, user, **kwargs):
    audit.record("auth.password_reset", actor=user, request=request, target=user)


def on_mfa_added(sender, request, user, authenticator, **kwargs):
    from ipnb_notes.middleware.security import MFA_ENROLLED

    if authenticator.type != authenticator.Type.RECOVERY_CODES and request is not None:
        request.session[MFA_ENROLLED] = True
    audit.record(
        "auth.mfa_added",
        actor=user,
        request=request,
        target=user,
        changes={"type": authenticator.type},
    )


def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    audit.record(
        "auth.mfa_removed",
        actor=user,
        request=request,
        target=user,
        changes={"type": authenticator.type},
    )


def on_mfa_used(sender, request, user, authenticator, **kwargs):
    audit.record(
        "auth.mfa_success",
        actor=user,
        request=request,
        target=user,
        changes={
            "type": authenticator.type,
            "reauthenticated": bool(kwargs.get("reauthenticated")),
        },
    )


def on_mfa_failed(sender, request, user, authenticator, **kwargs):
    audit.record(
        "auth.mfa_failure",
        request=request,
        target=user,
        changes={
            "type": authenticator.type,
            "reauthentication": bool(kwargs.get("reauthentication")),
        },
    )
