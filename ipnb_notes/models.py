from __future__ import annotations

from django.db import models
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


from ipnb_notes.practice import PracticeSettings  # noqa: E402  (the model lives with its reader)

__all__ = ["BackupReport", "OutboxMessage", "PracticeSettings", "SentNotification"]
