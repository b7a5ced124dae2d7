"""Second factors: allauth.mfa with secrets encrypted by the project's key ring, enrolment
helpers, and the practice admin's reset of a lost second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

import audit
from accounts.models import User
from ipnb_notes.fields import key_ring

# Binds every MFA ciphertext to its purpose: a token copied from a note column will not
# decrypt here, nor the other way round.
_AAD = b"mfa.authenticator.secret"

# The published second factor of the demo accounts (development only, see seed_demo and
# README). Anyone can compute codes from it: it must never exist outside a demo database.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        """TOTP seeds and recovery-code seeds are stored as AES-GCM tokens (AUTH-03)."""
        return key_ring().encrypt(text, aad=_AAD)

    def decrypt(self, encrypted_text: str) -> str:
        return key_ring().decrypt(encrypted_text, aad=_AAD)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """A user may remove a second factor only while another one remains: MFA is policy,
        not a preference. Losing the last one goes through the practice admin's reset."""
        if authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        return (
            Authenticator.objects.filter(user_id=authenticator.user_id)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
            .exclude(pk=authenticator.pk)
            .exists()
        )


def totp_code(secret: str, at: float | None = None) -> str:
    """The current 6-digit code for a base32 secret (RFC 6238, 30-second period)."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def enrol_totp(user: User, secret: str) -> Authenticator:
    """Give a user a TOTP authenticator with this secret (tests and the demo seed only: real
    users enrol themselves by scanning a QR code)."""
    from allauth.mfa.totp.internal.auth import TOTP

    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    return TOTP.activate(user, secret).instance


def enrol_demo_totp(user: User) -> Authenticator:
    """The demo accounts' published TOTP secret; refused anywhere but development."""
    if settings.IPNB_ENV != "development":
        raise RuntimeError("demo second factors exist only with IPNB_ENV=development")
    return enrol_totp(user, DEMO_TOTP_SECRET)


def mfa_reset(*, user: User, by: User, request=None) -> int:
    """A practice admin clears a user's lost second factors. Their sessions end at once and
    they must enrol again at next sign-in; they are told by email. Returns how many
    authenticators were removed."""
    from accounts.services import AccountError, _end_sessions

    if user == by:
        raise AccountError(
            "You cannot reset your own second factor; ask another practice admin."
        )
    with transaction.atomic():
        removed = list(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        )
        Authenticator.objects.filter(user=user).delete()
        ended = _end_sessions(user)
        audit.record(
            "user.mfa_reset",
            actor=by,
            request=request,
            target=user,
            changes={"authenticators": [sorted(removed), []], "sessions_ended": ended},
        )
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your second factor was reset",
        message=(
            "A practice admin reset the second factor (authenticator app, security key "
            "and recovery codes) of your ipnb-notes account. At your next sign-in you "
            "will be asked to set up a new one.\n\nIf you did not ask for this, tell your "
            "practice admin at once."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return len(removed)
