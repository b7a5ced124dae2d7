"""Patient authorizations to release, and the append-only accounting of every disclosure."""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ipnb_notes.fields import EncryptedTextField
from ipnb_notes.triggers import append_only


class Purpose(models.TextChoices):
    """Why a record leaves the practice (the purposes a HIPAA 164.508 authorization names)."""

    CONTINUITY_OF_CARE = "CONTINUITY_OF_CARE", "Continuity of care (another provider)"
    INSURANCE = "INSURANCE", "Insurance or payment"
    LEGAL = "LEGAL", "Legal proceedings"
    PATIENT_REQUEST = "PATIENT_REQUEST", "At the client's request"
    OTHER = "OTHER", "Other (described below)"


class AuthorizationQuerySet(models.QuerySet["Authorization"]):
    def current(self, on=None) -> AuthorizationQuerySet:
        """Signed, not yet expired and not revoked on the given day (today by default)."""
        on = on or timezone.localdate()
        return self.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=on),
            signed_on__lte=on,
            revoked_at__isnull=True,
        )


class Authorization(models.Model):
    """A client's signed authorization to release their information to a recipient for a
    purpose. Recorded by the client's therapist; it can be revoked, never edited or removed."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="authorizations"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # Who may receive the information: a name can reveal care elsewhere, so it is encrypted.
    recipient = EncryptedTextField()
    covers_psychotherapy_notes = models.BooleanField(
        default=False,
        help_text="HIPAA requires a separate, specific authorization for psychotherapy notes.",
    )
    signed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-recorded_at"]
        indexes = [
            # The client's disclosure page and the "current authorization?" check.
            models.Index(
                fields=["client", "signed_on"], name="authorization_client_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("signed_on")),
                name="authorization_expires_after_signing",
            )
        ]
        triggers = [
            # An authorization is evidence: never removed; the one change is its revocation,
            # made once, touching nothing else.
            pgtrigger.Trigger(
                name="authorization_revoke_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'authorization % cannot be deleted: revoke it', OLD.code;
                END IF;
                IF OLD.revoked_at IS NOT NULL
                   OR NEW.revoked_at IS NULL
                   OR (to_jsonb(NEW) - ARRAY['revoked_at', 'revoked_by_id'])
                      IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['revoked_at', 'revoked_by_id'])
                THEN
                    RAISE EXCEPTION 'authorization % can only be revoked, once', OLD.code;
                END IF;
                RETURN NEW;
                """,
            )
        ]

    def __str__(self) -> str:
        return (
            f"Authorization of {self.signed_on:%Y-%m-%d} ({self.get_purpose_display()})"
        )

    def get_absolute_url(self) -> str:
        return (
            reverse("disclosures:report", args=[self.client.code]) + "#authorizations"
        )

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return (
            self.revoked_at is None
            and self.signed_on <= today
            and (self.expires_on is None or self.expires_on >= today)
        )

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if self.expires_on is not None and self.expires_on < timezone.localdate():
            return "Expired"
        if self.signed_on > timezone.localdate():
            return "Not yet in force"
        return "Current"


def accounting_since():
    """The accounting of disclosures covers the last six years (45 CFR 164.528(a))."""
    now = timezone.now()
    try:
        return now.replace(year=now.year - 6)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 6, day=28)


class DisclosureQuerySet(models.QuerySet["Disclosure"]):
    def accounting(self, client):
        """The client's disclosures of the last six years, newest first."""
        return (
            self.filter(client=client, disclosed_at__gte=accounting_since())
            .select_related("user", "authorization")
            .order_by("-disclosed_at")
        )


class Disclosure(models.Model):
    """One release of information outside the practice (HIPAA 164.528 accounting; ONC
    170.315(d)(11)). Append-only in PostgreSQL, like the audit trail."""

    class Kind(models.TextChoices):
        RECORD = "RECORD", "Client record (PDF)"
        PSYCHOTHERAPY_NOTE = "PSYCHOTHERAPY_NOTE", "Psychotherapy note (PDF)"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    disclosed_at = models.DateTimeField(default=timezone.now)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="disclosures"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recipient = EncryptedTextField()
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    description = EncryptedTextField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    authorization = models.ForeignKey(
        Authorization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disclosures",
    )
    # The sessions the release covered (none: the whole record).
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    # What the recipient received: its SHA-256 and size, so they can verify it (CRY-03).
    sha256 = models.CharField(max_length=64)
    byte_size = models.PositiveBigIntegerField()

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [
            # The accounting of disclosures: one client's last six years, newest first.
            models.Index(
                fields=["client", "disclosed_at"], name="disclosure_client_at_idx"
            ),
        ]
        triggers = append_only("the accounting of disclosures", prefix="disclosure_")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} released {self.disclosed_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return (
            reverse("disclosures:report", args=[self.client.code]) + f"#d-{self.code}"
        )
