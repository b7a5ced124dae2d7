"""Time to repair: how long a rupture stayed, or has stayed, open."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from django.utils import timezone

from sessions.models import RepairEvent, RuptureEvent, TherapySession


@dataclass
class RepairInterval:
    """How long a rupture stayed open: minutes within one session, or sessions and days."""

    minutes: int | None = None
    sessions: int | None = None
    days: int | None = None

    def __str__(self) -> str:
        if self.minutes is not None:
            return f"{self.minutes} min" if self.minutes != 1 else "1 min"
        sessions = "1 session" if self.sessions == 1 else f"{self.sessions} sessions"
        days = "1 day" if self.days == 1 else f"{self.days} days"
        return f"{sessions}, {days} later"


def _count_sessions_between(starts: list, after, upto) -> int:
    """Sessions starting after `after` and no later than `upto` (starts is sorted)."""
    return bisect.bisect_right(starts, upto) - bisect.bisect_right(starts, after)


def client_session_starts(client) -> list:
    """Start times of the client's sessions that took place or may yet (for counting sessions)."""
    return list(
        TherapySession.objects.filter(
            client=client,
            status__in=[
                TherapySession.Status.ATTENDED,
                TherapySession.Status.SCHEDULED,
            ],
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )


def time_to_repair(
    rupture: RuptureEvent, repair: RepairEvent, *, session_starts: list | None = None
) -> RepairInterval:
    """Derived, never typed: minutes within a session, or sessions and days across sessions.

    Pass `session_starts` (client_session_starts) to avoid a query per call in lists."""
    if rupture.session_id == repair.session_id:
        return RepairInterval(minutes=repair.minute - rupture.minute)
    if session_starts is None:
        session_starts = client_session_starts(rupture.client_id)
    start, end = rupture.session.starts_at, repair.session.starts_at
    return RepairInterval(
        sessions=max(1, _count_sessions_between(session_starts, start, end)),
        days=(timezone.localdate(end) - timezone.localdate(start)).days,
    )


def time_open(
    rupture: RuptureEvent, session: TherapySession, *, session_starts: list
) -> RepairInterval:
    """How long an open rupture has waited, as seen from `session`."""
    if rupture.session_id == session.id:
        return RepairInterval(minutes=None, sessions=0, days=0)
    start, end = rupture.session.starts_at, session.starts_at
    return RepairInterval(
        sessions=_count_sessions_between(session_starts, start, end),
        days=(timezone.localdate(end) - timezone.localdate(start)).days,
    )
