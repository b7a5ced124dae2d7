from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

from accounts.models import ends_after_start, link_is_current
from ipnb_notes import clock
from ipnb_notes.fields import EncryptedTextField


class Client(models.Model):
    class Status(models.TextChoices):
        WAITLIST = "WAITLIST", "Waitlist"
        ACTIVE = "ACTIVE", "Active"
        DISCHARGED = "DISCHARGED", "Discharged"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Names and dates stay in clear so that they can be searched and sorted.
    legal_name = models.CharField(max_length=150)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    intake_date = models.DateField(null=True, blank=True)
    discharge_date = models.DateField(null=True, blank=True)
    consent_to_treatment_on = models.DateField(null=True, blank=True)
    presenting_concerns = EncryptedTextField(blank=True)
    # [{"code": "F41.1", "label": "Generalized anxiety disorder"}], entered freely.
    diagnoses = models.JSONField(default=list, blank=True)
    idempotency_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharge_date__isnull=True)
                | Q(intake_date__isnull=True)
                | Q(discharge_date__gte=models.F("intake_date")),
                name="client_discharge_after_intake",
            )
        ]
        # Name search runs inside one caseload (tens of clients), so no trigram index is
        # needed; this one serves practice-wide sorting and prefix search by admins.
        indexes = [models.Index(Upper("legal_name"), name="client_legal_name_upper")]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("clients:client_detail", args=[self.code])

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.legal_name.split()[0]:
            return f"{self.preferred_name} ({self.legal_name})"
        return self.legal_name


class CaseAssignmentQuerySet(models.QuerySet["CaseAssignment"]):
    def current(self, at=None) -> CaseAssignmentQuerySet:
        return self.filter(link_is_current(at))


class CaseAssignment(models.Model):
    """A therapist's responsibility for a client, from the start of `started_on` (the practice's
    time zone) until the moment `ended_at`, exclusive: the caseload is made of these."""

    class Role(models.TextChoices):
        PRIMARY = "PRIMARY", "Primary therapist"
        CO_THERAPIST = "CO_THERAPIST", "Co-therapist"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="assignments"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(max_length=14, choices=Role.choices, default=Role.PRIMARY)
    started_on = models.DateField(default=timezone.localdate)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseAssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(role="PRIMARY", ended_at__isnull=True),
                name="one_open_primary",
            ),
            models.UniqueConstraint(
                fields=["client", "therapist"],
                condition=Q(ended_at__isnull=True),
                name="one_open_assignment",
            ),
            models.CheckConstraint(
                condition=ends_after_start(), name="assignment_ends_after_start"
            ),
        ]
        # The caseload rule (access.visible_clients) filters on therapist and the end.
        indexes = [
            models.Index(
                fields=["therapist", "ended_at"], name="assignment_therapist_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} – {self.client} ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return self.client.get_absolute_url()


class TreatmentGoal(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        MET = "MET", "Met"
        REVISED = "REVISED", "Revised"
        DROPPED = "DROPPED", "Dropped"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="goals")
    text = EncryptedTextField()
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Goal for {self.client}"

    def get_absolute_url(self) -> str:
        return self.client.get_absolute_url() + "#goals"


class EmergencyAccessQuerySet(models.QuerySet["EmergencyAccess"]):
    def active(self, at=None):
        at = at or clock.now()
        return self.filter(granted_at__lte=at, expires_at__gt=at)


class EmergencyAccess(models.Model):
    """Break-glass: one user's time-boxed, read-only access to one client's record, with the
    reason they typed. Shown to the client's therapists; every read is audited."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    # The reason may describe the emergency, so it is clinical text: encrypted at rest.
    reason = EncryptedTextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = EmergencyAccessQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had under audit/: its ciphertexts are bound to it.
        db_table = "audit_emergencyaccess"
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["user", "expires_at"], name="emergency_user_exp_idx"),
            models.Index(
                fields=["client", "granted_at"], name="emergency_client_at_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="emergency_expires_after_grant",
            )
        ]
        triggers = [
            # A grant is a record of what happened: never edited or removed.
            pgtrigger.Protect(
                name="emergency_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency access by {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("clients:client_detail", args=[self.client.code])
