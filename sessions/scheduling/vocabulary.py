"""Scheduling's vocabulary, declared once: how a series repeats, how far it may run, and why
a session did not take place.

Each cancellation reason maps onto the session status that already says so (TherapySession.Status); a
client's and a clinician's cancellation are both "Cancelled", told apart by the reason.
No Django models are imported here, so the session model can read its choices."""

from __future__ import annotations

from django.db import models


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY", "Every week"
    BIWEEKLY = "BIWEEKLY", "Every other week"
    MONTHLY_WEEKDAY = "MONTHLY_WEEKDAY", "Monthly, on the same weekday"


class CancelReason(models.TextChoices):
    CLIENT = "CLIENT", "Client cancelled"
    LATE = "LATE", "Late cancellation"
    CLINICIAN = "CLINICIAN", "Clinician cancelled"
    NO_SHOW = "NO_SHOW", "No-show"


# The status each reason leaves the session in (TherapySession.Status values).
STATUS_FOR: dict[str, str] = {
    CancelReason.CLIENT: "CANCELLED",
    CancelReason.LATE: "LATE_CANCELLED",
    CancelReason.CLINICIAN: "CANCELLED",
    CancelReason.NO_SHOW: "NO_SHOW",
}

# A series is generated up to this many occurrences, whether it ends on a date or after a
# count (the form's limit, the service's limit and the help text all read it).
MAX_OCCURRENCES = 52
