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
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import post_init, pre_save

from accounts.models import User
from ipnb_notes.fields import key_ring, place_aad
from ipnb_notes.lib.crypto import KeyRingError

# The published second factor of the demo accounts (development only, see seed_demo and
# README). Anyone can compute codes from it: it must never exist outside a demo database.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# The keys of Authenticator.data that hold tokens (a string, or a list of strings).
SEALED_KEYS = ("secret", "seed", "migrated_codes")


class MFASecretError(KeyRingError):
    """A second-factor secret read outside its authenticator, or sealed for another one."""


def secret_aad(*, user_id: object, type: str, key: str) -> bytes:
    """A second factor's token is bound to its table, its key in `data`, the user and the
    kind of authenticator (one per user and kind), so a seed copied into another user's row
    does not decrypt there."""
    return place_aad(
        Authenticator._meta.db_table, f"data.{key}", f"user={user_id};type={type}"
    )


class BoundToken(str):
    """A token read from an authenticator, carrying the associated data of its place."""

    aad: bytes
    place: str

    def __new__(cls, token: str, aad: bytes, place: str) -> BoundToken:
        obj = super().__new__(cls, token)
        obj.aad, obj.place = aad, place
        return obj


class PendingSecret(str):
    """A secret allauth asked to encrypt before its authenticator (and so its user) is
    known. Its text is a marker, never the secret; the authenticator's pre_save seals it."""

    plaintext: str

    def __new__(cls, plaintext: str) -> PendingSecret:
        obj = super().__new__(cls, "unsealed:pending")
        obj.plaintext = plaintext
        return obj


def _map_sealed(data: dict, fn) -> None:
    for key in SEALED_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            data[key] = fn(key, value)
        elif isinstance(value, list):
            data[key] = [fn(key, v) if isinstance(v, str) else v for v in value]


def _describe(instance: Authenticator, key: str) -> str:
    return (
        f"{Authenticator._meta.db_table}.data.{key} of user {instance.user_id} "
        f"({instance.type})"
    )


def bind_loaded_tokens(sender, instance: Authenticator, **kwargs) -> None:
    """post_init: tag each token with its authenticator's place (no decryption here)."""
    fields = instance.__dict__
    data = fields.get("data")
    if (
        not isinstance(data, dict)
        or fields.get("user_id") is None
        or "type" not in fields
    ):
        return

    def bind(key: str, value: str):
        if isinstance(value, PendingSecret | BoundToken):
            return value
        aad = secret_aad(user_id=instance.user_id, type=instance.type, key=key)
        return BoundToken(value, aad, _describe(instance, key))

    _map_sealed(data, bind)


def seal_pending_secrets(sender, instance: Authenticator, **kwargs) -> None:
    """pre_save: encrypt new secrets for this user's authenticator; re-seal a token whose
    authenticator changed hands in the application."""
    data = instance.data
    if not isinstance(data, dict):
        return

    def seal(key: str, value: str):
        aad = secret_aad(user_id=instance.user_id, type=instance.type, key=key)
        if isinstance(value, PendingSecret):
            plaintext = value.plaintext
        elif isinstance(value, BoundToken) and value.aad != aad:
            plaintext = _open(value)
        else:
            return value
        token = key_ring().encrypt(plaintext, aad=aad)
        return BoundToken(token, aad, _describe(instance, key))

    _map_sealed(data, seal)


def _open(token: BoundToken) -> str:
    try:
        return key_ring().decrypt(token, aad=token.aad)
    except KeyRingError as exc:
        raise MFASecretError(
            f"{token.place} does not decrypt in its place: {exc}"
        ) from None


post_init.connect(bind_loaded_tokens, sender=Authenticator)
pre_save.connect(seal_pending_secrets, sender=Authenticator)


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        """TOTP seeds and recovery-code seeds are stored as AES-GCM tokens (AUTH-03), bound
        to their user's authenticator when it is saved."""
        return PendingSecret(text)

    def decrypt(self, encrypted_text: str) -> str:
        if isinstance(encrypted_text, PendingSecret):
            return encrypted_text.plaintext
        if isinstance(encrypted_text, BoundToken):
            return _open(encrypted_text)
        raise MFASecretError(
            "a second-factor secret can be read only through its authenticator"
        )

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


# --- Who has a second factor (the practice admin's user list and user page) -------------------

# A second factor is an authenticator app or a security key. Recovery codes alone are not one:
# they come with a second factor and stand in for it (the sign-in middleware's rule too).
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

# How each kind of authenticator is named to the practice admin (allauth's own labels say
# "TOTP Authenticator" and "WebAuthn").
AUTHENTICATOR_LABELS = {
    Authenticator.Type.TOTP: "Authenticator app",
    Authenticator.Type.WEBAUTHN: "Security key",
    Authenticator.Type.RECOVERY_CODES: "Recovery codes",
}


class SecondFactorStatus(models.TextChoices):
    """The user list's filter values and the status shown beside each account."""

    SET_UP = "set-up", "Set up"
    NOT_SET_UP = "not-set-up", "Not set up"


def second_factor_exists() -> Exists:
    """Whether the row's user has a second factor: a subquery of the page's own statement."""
    return Exists(
        Authenticator.objects.filter(
            user_id=OuterRef("pk"), type__in=SECOND_FACTOR_TYPES
        )
    )


def with_second_factor(users: QuerySet[User]) -> QuerySet[User]:
    """Annotate each user with `has_second_factor` and `authenticator_types` (the kinds of
    authenticator they hold, sorted), in the list's one statement: no query per row."""
    from django.contrib.postgres.expressions import ArraySubquery

    kinds = (
        Authenticator.objects.filter(user_id=OuterRef("pk"))
        .order_by("type")
        .values("type")
        .distinct()
    )
    return users.annotate(
        has_second_factor=second_factor_exists(),
        authenticator_types=ArraySubquery(kinds),
    )


def filter_second_factor(users: QuerySet[User], status: str) -> QuerySet[User]:
    """Users whose second-factor status is `status` (a SecondFactorStatus value); any other
    value filters nothing."""
    if status == SecondFactorStatus.SET_UP:
        return users.filter(second_factor_exists())
    if status == SecondFactorStatus.NOT_SET_UP:
        return users.filter(~second_factor_exists())
    return users


class SecondFactorSummary:
    """What the practice admin reads about one user's second factor."""

    def __init__(self, types) -> None:
        types = set(types or ())
        self.is_set_up = any(t in types for t in SECOND_FACTOR_TYPES)
        self.status = (
            SecondFactorStatus.SET_UP
            if self.is_set_up
            else SecondFactorStatus.NOT_SET_UP
        )
        self.label = self.status.label
        self.kinds = [
            AUTHENTICATOR_LABELS[t] for t in SECOND_FACTOR_TYPES if t in types
        ]
        self.recovery_codes = Authenticator.Type.RECOVERY_CODES in types


def second_factor_summary(user: User) -> SecondFactorSummary:
    """One user's second factor (the user page): one query."""
    return SecondFactorSummary(
        Authenticator.objects.filter(user=user).values_list("type", flat=True)
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
