from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from ipnb_notes import clock


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **fields
    ) -> User:
        fields.setdefault("role", User.Role.ADMIN)
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        THERAPIST = "THERAPIST", "Therapist"
        SUPERVISOR = "SUPERVISOR", "Supervisor"
        ADMIN = "ADMIN", "Practice admin"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    credentials = models.CharField(
        max_length=60, blank=True, help_text="e.g. LMFT, PhD, associate"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    can_break_glass = models.BooleanField(
        "may use emergency access",
        default=False,
        help_text="Designated by a practice admin to open a client's record read-only in "
        "an emergency. Only therapists and supervisors may be designated.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    digest_email = models.BooleanField(
        "Email me a daily digest",
        default=True,
        help_text="Once a day: how many notes you have to write, how many are late, "
        "how many were returned for revision and, for supervisors, how many await "
        "your co-signature. Counts and a link only, never a client's name.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")
        ]
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.code])

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR

    @property
    def is_practice_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def may_break_glass(self) -> bool:
        """Emergency access is for designated clinicians alone: a practice admin reads no
        clinical text, even if the flag is set on their row."""
        return self.is_active and self.is_clinician and self.can_break_glass

    @property
    def is_clinician(self) -> bool:
        return self.role in (self.Role.THERAPIST, self.Role.SUPERVISOR)


def link_is_current(at: datetime | None = None) -> Q:
    """A dated link (supervision or case assignment) in force at the moment `at`: it started
    on or before that day (in the practice's time zone) and has not ended. `ended_at` is the
    moment access ended, exclusive: a link ended at 09:00 grants nothing at 09:00."""
    if at is None:
        at, day = clock.now(), clock.today()
    else:
        day = timezone.localdate(at)
    return Q(started_on__lte=day) & (Q(ended_at__isnull=True) | Q(ended_at__gt=at))


def ends_after_start() -> Q:
    """The check constraint of a dated link. The database compares a moment with a date in its
    session's time zone (UTC), not the practice's, so the bound allows a day's slack; the
    services keep the exact rule (a link that has not started is deleted, never ended)."""
    return Q(ended_at__isnull=True) | Q(
        ended_at__gt=models.ExpressionWrapper(
            models.F("started_on") - timedelta(days=1),
            output_field=models.DateTimeField(),
        )
    )


class SupervisionQuerySet(models.QuerySet["Supervision"]):
    def current(self, at: datetime | None = None) -> SupervisionQuerySet:
        return self.filter(link_is_current(at))


class Supervision(models.Model):
    """A supervisor's responsibility for a supervisee: from the start of `started_on` (the
    practice's time zone) until the moment `ended_at`, exclusive."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisions_given"
    )
    supervisee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisions_received"
    )
    started_on = models.DateField(default=timezone.localdate)
    ended_at = models.DateTimeField(null=True, blank=True)
    requires_cosignature = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("supervisee")),
                name="supervision_not_self",
            ),
            models.CheckConstraint(
                condition=ends_after_start(), name="supervision_ends_after_start"
            ),
            # One open link per pair; ended links stay as history.
            models.UniqueConstraint(
                fields=["supervisor", "supervisee"],
                condition=Q(ended_at__isnull=True),
                name="supervision_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["supervisee", "ended_at"], name="supervision_supervisee_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.supervisee}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.supervisee.code])


class Invitation(models.Model):
    """A one-time, expiring link by which an invited user sets a password."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.user.code])

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class DailyDigest(models.Model):
    """One clinician's daily email digest: recorded (one row per user and practice day, in
    the transaction that queues its email) before it is sent, so a second run of the beat
    task or a retried worker sends nothing twice. Counts only: no client, no clinical text."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The practice's day (TIME_ZONE) it was sent for.")
    to_write = models.PositiveIntegerField(
        help_text="Attended sessions whose note is not yet signed (none, or a draft)."
    )
    late = models.PositiveIntegerField(
        help_text="Of those, how many are past the practice's late-note threshold."
    )
    returned = models.PositiveIntegerField(help_text="Notes returned for revision.")
    cosign = models.PositiveIntegerField(
        help_text="Notes awaiting this supervisor's co-signature."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"], name="daily_digest_one_per_user_per_day"
            ),
            models.CheckConstraint(
                condition=Q(late__lte=models.F("to_write")),
                name="daily_digest_late_within_to_write",
            ),
        ]

    def __str__(self) -> str:
        return f"Daily digest of {self.day} for user {self.user_id}"
