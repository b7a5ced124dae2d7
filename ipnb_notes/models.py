from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task to publish, written in the same transaction as the change that needs it.

    A broker outage must never block or lose a save (REL-08): the save commits with this row,
    the relay publishes after commit with a short timeout, and what it could not publish
    stays here for the sweeper. Arguments are ids only, never PHI.
    """

    task = models.CharField(max_length=120)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"

    def get_absolute_url(self) -> str:
        return "/healthz"


class BackupReport(models.Model):
    """The outcome of a backup or a restore drill, as the ops scripts report it
    (`manage.py record_backup`). /healthz reads the newest of each kind (REL-11)."""

    class Kind(models.TextChoices):
        FULL = "full", "Full backup"
        DIFF = "diff", "Differential backup"
        INCR = "incr", "Incremental backup"
        DRILL = "drill", "Restore drill"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    label = models.CharField(max_length=120)
    ok = models.BooleanField(default=True)
    detail = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.label} ({'ok' if self.ok else 'failed'})"
        )

    def get_absolute_url(self) -> str:
        return "/healthz"


class SentNotification(models.Model):
    """The dedupe key of a task's side effect (REL-07): a redelivered or retried task finds
    its row and sends nothing twice. Written in the transaction that sends, so a failed send
    leaves no row and the retry sends."""

    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="sent_notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id}"

    def get_absolute_url(self) -> str:
        return "/healthz"


# Documentation norms (DOMAIN.md 5.3): no single legal deadline; avoid more than 72 h.
DEFAULT_NOTE_LATE_HOURS = 72
MIN_NOTE_LATE_HOURS = 1
MAX_NOTE_LATE_HOURS = 24 * 14


class PracticeSettings(models.Model):
    """The singleton row (id 1) of practice-wide settings, edited by practice admins."""

    note_late_hours = models.PositiveSmallIntegerField(
        "A note is late after (hours)",
        default=DEFAULT_NOTE_LATE_HOURS,
        validators=[
            MinValueValidator(MIN_NOTE_LATE_HOURS),
            MaxValueValidator(MAX_NOTE_LATE_HOURS),
        ],
        help_text="Hours from the end of a session to the author's signature. "
        "72 hours by default; 24 or 48 where a payer or state asks for it.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "practice settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="practice_settings_singleton"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    note_late_hours__gte=MIN_NOTE_LATE_HOURS,
                    note_late_hours__lte=MAX_NOTE_LATE_HOURS,
                ),
                name="practice_settings_note_late_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return "Practice settings"

    def get_absolute_url(self) -> str:
        return reverse("accounts:practice_settings")


__all__ = ["BackupReport", "OutboxMessage", "PracticeSettings", "SentNotification"]
