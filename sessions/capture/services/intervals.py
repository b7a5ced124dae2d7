"""Time to repair: how long a rupture stayed, or has stayed, open."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import BigIntegerField, F, Func
from django.utils import timezone

from sessions.capture.services.common import plain_rows
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


# A session start as the interval counts read them: microseconds since the epoch (an integer
# PostgreSQL computes and psycopg loads without a Python step per value, where a timestamp
# goes through Django's time-zone loader; a client has hundreds of sessions).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def start_key(starts_at: datetime) -> int:
    """`starts_at` as session_starts_query's values: microseconds since the epoch."""
    return (starts_at - _EPOCH) // _MICROSECOND


def _count_sessions_between(starts: list[int], after, upto) -> int:
    """Sessions starting after `after` and no later than `upto` (starts is sorted)."""
    return bisect.bisect_right(starts, start_key(upto)) - bisect.bisect_right(
        starts, start_key(after)
    )


def session_starts_query(client_id):
    """The start times of the client's sessions that took place or may yet (for counting
    sessions), sorted, as start_key values: one-value rows (starts_of reads them)."""
    return plain_rows(
        TherapySession.objects.filter(
            client_id=client_id,
            status__in=[
                TherapySession.Status.ATTENDED,
                TherapySession.Status.SCHEDULED,
            ],
        )
        .order_by("starts_at")
        .values_list(_StartKey(F("starts_at")))
    )


class _StartKey(Func):
    """start_key in SQL: an integer as psycopg loads it."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def client_session_starts(client) -> list[int]:
    """session_starts_query's values, read now (`client` or its id)."""
    return starts_of(session_starts_query(getattr(client, "pk", client)))


def starts_of(rows) -> list[int]:
    """session_starts_query's rows as the sorted list the counts read."""
    return [row[0] for row in rows]


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
