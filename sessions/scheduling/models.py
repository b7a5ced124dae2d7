"""A recurring series of sessions and each clinician's private calendar feed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from sessions.scheduling.vocabulary import MAX_OCCURRENCES, Frequency


class SessionSeries(models.Model):
    """How a client's recurring appointments repeat. Its sessions are ordinary
    TherapySession rows (TherapySession.series), generated at once."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="session_series"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    first_starts_at = models.DateTimeField()
    until = models.DateField(null=True, blank=True)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "session series"
        constraints = [
            models.CheckConstraint(
                condition=(Q(until__isnull=False) | Q(count__isnull=False))
                & (Q(count__isnull=True) | Q(count__gte=1, count__lte=MAX_OCCURRENCES)),
                name="series_ends",
            )
        ]

    def __str__(self) -> str:
        return f"Series from {self.first_starts_at:%Y-%m-%d}"


class CalendarFeed(models.Model):
    """A clinician's private iCalendar feed. Only the SHA-256 of its token is kept; a revoked
    feed has no token, and a new one replaces the old."""

    class Title(models.TextChoices):
        SESSION = "SESSION", 'The word "Session"'
        INITIALS = "INITIALS", "The client's initials"

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    title = models.CharField(
        max_length=10,
        choices=Title.choices,
        default=Title.SESSION,
        help_text="What each event in the feed is called. Never the client's name.",
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Calendar feed"

    @property
    def is_active(self) -> bool:
        return bool(self.token_hash)
