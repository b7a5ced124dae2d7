"""Rollups: derived, disposable tables the dashboards read instead of scanning history.

Every row here can be rebuilt from the clinical record (services.rollup_refresh_client and
rollup_refresh_all). Nothing here is clinical text: counts, means and dates only. Process notes
are never read to build them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class SessionRollup(models.Model):
    """One attended session of one client: the points of the trajectory's x axis."""

    session = models.OneToOneField(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    # 1 for the client's first attended session, 2 for the second...
    seq = models.PositiveIntegerField()
    # Mean of the in-composite indicators rated in this session (None when none was rated).
    composite = models.FloatField(null=True)
    composite_n = models.PositiveSmallIntegerField(default=0)
    hyper = models.PositiveSmallIntegerField(default=0)
    within = models.PositiveSmallIntegerField(default=0)
    hypo = models.PositiveSmallIntegerField(default=0)
    matches = models.PositiveSmallIntegerField(default=0)
    mismatches = models.PositiveSmallIntegerField(default=0)
    attune_repairs = models.PositiveSmallIntegerField(default=0)
    ruptures = models.PositiveSmallIntegerField(default=0)
    # Co-regulation: the therapist's own arousal noted in the session (within the window or
    # outside it), the moments they lent regulation by the client's response, and the
    # client's integration links. Clinician-rated, like everything above.
    own_within = models.PositiveSmallIntegerField(default=0)
    own_outside = models.PositiveSmallIntegerField(default=0)
    coreg_settled = models.PositiveSmallIntegerField(default=0)
    coreg_unsettled = models.PositiveSmallIntegerField(default=0)
    links = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["client", "seq"], name="rollup_session_client_idx")
        ]

    def __str__(self) -> str:
        return f"Session rollup {self.session_id}"


class ClientWeek(models.Model):
    """One client's week (Monday, practice time zone)."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField()
    sessions = models.PositiveSmallIntegerField(default=0)
    composite = models.FloatField(null=True)
    ruptures = models.PositiveSmallIntegerField(default=0)
    mismatches = models.PositiveSmallIntegerField(default=0)
    attune_repairs = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "week"], name="rollup_client_week_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Client {self.client_id}, week of {self.week}"


class ClientSummary(models.Model):
    """Where a client stands now: what the caseload table needs, one row per client."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    sessions_attended = models.PositiveIntegerField(default=0)
    last_attended_at = models.DateTimeField(null=True)
    # Composites of the last 12 rated sessions, oldest first (the sparkline).
    recent_composites = ArrayField(models.FloatField(), default=list)
    # Least-squares slope of the composite over the last TREND_WINDOW rated sessions.
    trend_slope = models.FloatField(null=True)
    trend_n = models.PositiveSmallIntegerField(default=0)
    open_ruptures = models.PositiveSmallIntegerField(default=0)
    # When each open rupture happened (session start + minute): ages are computed at read time.
    open_rupture_at = ArrayField(models.DateTimeField(), default=list)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Client {self.client_id} summary"


class TherapistWeek(models.Model):
    """One clinician's week: volume, documentation and the rupture-repair cycle."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField()
    sessions = models.PositiveIntegerField(default=0)
    clients_seen = models.PositiveIntegerField(default=0)
    notes_signed = models.PositiveIntegerField(default=0)
    notes_late = models.PositiveIntegerField(default=0)
    lag_median_hours = models.FloatField(null=True)
    ruptures = models.PositiveIntegerField(default=0)
    repaired_same_session = models.PositiveIntegerField(default=0)
    repaired_within_two = models.PositiveIntegerField(default=0)
    repair_median_hours = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "week"], name="rollup_therapist_week_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Clinician {self.therapist_id}, week of {self.week}"


class TherapistSummary(models.Model):
    """Medians over the last SUMMARY_WEEKS weeks (medians cannot be summed from weeks)."""

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    since = models.DateField()
    notes_signed = models.PositiveIntegerField(default=0)
    notes_late = models.PositiveIntegerField(default=0)
    lag_median_hours = models.FloatField(null=True)
    repair_median_hours = models.FloatField(null=True)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Clinician {self.therapist_id} summary"


class ClientMeasure(models.Model):
    """One client's scored totals of one instrument (PHQ-9, GAD-7): the first and the latest
    complete totals, from which the pages compute reliable change (measures.reports). Totals
    and dates only; the answers are never read to build it."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="+"
    )
    instrument = models.CharField(max_length=10)
    scored = models.PositiveIntegerField(default=0)
    first_total = models.PositiveSmallIntegerField()
    last_total = models.PositiveSmallIntegerField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "instrument"], name="rollup_client_measure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Client {self.client_id}, {self.instrument}"
