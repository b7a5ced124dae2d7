"""What the calendar pages and the conflict warnings read: a few statements each, whatever
the number of sessions."""

from __future__ import annotations

import re
from bisect import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db import connections
from django.db.models import BigIntegerField, DateTimeField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from ipnb_notes import access
from sessions.models import TherapySession
from sessions.scheduling.vocabulary import STATUS_FOR

# Sessions that keep the clinician busy (a cancelled one frees the time).
BUSY = Q(status__in=[TherapySession.Status.SCHEDULED, TherapySession.Status.ATTENDED])
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
CALENDAR_COLUMNS = (
    "code",
    "starts_at",
    "duration_minutes",
    "status",
    "cancel_reason",
    "client",
    "client__code",
    "client__preferred_name",
    "client__legal_name",
)
CANCELLED = frozenset(STATUS_FOR.values())
STATUS_LABELS = dict(TherapySession.Status.choices)


def parse_week(value: str) -> date:
    """The Monday of an ISO week written 2026-W10; ValueError otherwise."""
    match = _WEEK.match(value.strip())
    if not match:
        raise ValueError(value)
    year, week = int(match[1]), int(match[2])
    if not 2000 <= year <= 2100:
        raise ValueError(value)
    return date.fromisocalendar(year, week, 1)


def parse_day(value: str) -> date:
    day = date.fromisoformat(value.strip())
    if not 2000 <= day.year <= 2100:
        raise ValueError(value)
    return day


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Day:
    date: date
    sessions: list = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()


def _days(first: date, n: int) -> list[Day]:
    return [Day(first + timedelta(days=i)) for i in range(n)]


def week_days(monday: date) -> list[Day]:
    """The seven days of a week, for the practice calendar's column heads."""
    return _days(monday, 7)


def _place(days: list[Day], sessions: Iterable) -> list[Day]:
    by_date = {d.date: d for d in days}
    for s in sessions:
        s.local_start = timezone.localtime(s.starts_at)
        s.local_end = timezone.localtime(s.ends_at)
        s.is_cancelled = s.status in CANCELLED
        s.status_label = STATUS_LABELS[s.status]
        day = by_date.get(s.local_start.date())
        if day is not None:
            day.sessions.append(s)
    return days


def clinician_days(user: User, first: date, n: int) -> list[Day]:
    """The clinician's own sessions on `n` days from `first`, each day's in time order. One
    statement; `client_visible` says whether a session's client may be named."""
    rows = (
        access.calendar_sessions(user)
        .filter(
            starts_at__gte=local_midnight(first),
            starts_at__lt=local_midnight(first + timedelta(days=n)),
        )
        .select_related("client")
        .only(*CALENDAR_COLUMNS)
        .order_by("starts_at")
    )
    return _place(_days(first, n), rows)


# Every minute of a day written once ("00:00" to "23:59"), and the seconds ("00" to "59").
_HHMM = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
_SS = tuple(f"{s:02d}" for s in range(60))
_DAY = 24 * 60 * 60


def _utc_offset(seconds: int) -> str:
    """An offset as isoformat writes it: +01:00, -05:00."""
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _offsets(first: int, last: int, tz: tzinfo) -> tuple[list[int], list[int]]:
    """The practice clock's UTC offsets from `first` to `last` (epoch seconds): the instants
    from which each holds, and the offsets in seconds. A week has one, or two around a
    daylight saving change (found to the second by halving the day it falls in)."""

    def offset(at: int) -> int:
        return int(datetime.fromtimestamp(at, tz).utcoffset().total_seconds())

    starts, offsets = [first], [offset(first)]
    for day in range(first, last, _DAY):
        low, high = day, min(day + _DAY, last)
        if offset(high) == offsets[-1]:
            continue
        while high - low > 1:
            middle = (low + high) // 2
            if offset(middle) == offsets[-1]:
                low = middle
            else:
                high = middle
        starts.append(high)
        offsets.append(offset(high))
    return starts, offsets


def _plain_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a values_list queryset as the driver reads them: no converter per value
    (its ints and strings need none), for a thousand rows."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def practice_week(user: User, monday: date) -> list[tuple[str, list[list[tuple]]]]:
    """Every active clinician's week, as busy blocks (time, length, status): two statements,
    no client column read. Each row is (clinician's name, 7 days), each day a list of blocks
    (start in ISO 8601, start and end as HH:MM, status label, cancelled).

    A week of a large practice runs to a thousand blocks: the sessions are read by the
    clinicians' ids (the index on therapist and start) as well as by access's rule, each as
    its UTC second; the week's offsets are looked up once, the times written from tables
    made once (sessions start on the whole second), and the page renders the plain tuples
    with Jinja2."""
    clinicians, sessions = access.practice_calendar(user)
    people = list(
        clinicians.order_by("full_name").values_list("pk", "full_name", "email")
    )
    if not people:
        return []
    grid = {pk: [[] for _ in range(7)] for pk, _, _ in people}
    first = local_midnight(monday)
    last = local_midnight(monday + timedelta(days=7))
    rows = _plain_rows(
        sessions.filter(
            therapist_id__in=list(grid), starts_at__gte=first, starts_at__lt=last
        )
        .annotate(
            utc=RawSQL(
                "floor(extract(epoch from starts_at))::bigint",
                (),
                output_field=BigIntegerField(),
            )
        )
        .order_by("starts_at")
        .values_list("therapist_id", "utc", "duration_minutes", "status")
    )
    starts, offsets = _offsets(
        int(first.timestamp()),
        int(last.timestamp()) + _DAY,  # a session ends within 600 minutes
        timezone.get_current_timezone(),
    )
    # The Monday's local midnight as if the practice's clock were UTC.
    origin = int(first.timestamp()) + offsets[0]
    zones = [_utc_offset(offset) for offset in offsets]
    dates = [(monday + timedelta(days=i)).isoformat() for i in range(7)]
    for therapist_id, utc, minutes, status in rows:
        days = grid.get(therapist_id)
        index = bisect(starts, utc) - 1
        day, second = divmod(utc + offsets[index] - origin, _DAY)
        if days is None or not 0 <= day < 7:
            continue
        end = utc + minutes * 60
        end += offsets[bisect(starts, end) - 1] - origin
        hhmm = _HHMM[second // 60]
        days[day].append(
            (
                f"{dates[day]}T{hhmm}:{_SS[second % 60]}{zones[index]}",
                hhmm,
                _HHMM[end % _DAY // 60],
                STATUS_LABELS[status],
                status in CANCELLED,
            )
        )
    return [(full_name or email, grid[pk]) for pk, full_name, email in people]


def conflicts(
    therapist: User,
    spans: list[tuple[datetime, datetime]],
    *,
    exclude: Iterable[int] = (),
) -> list[tuple[datetime, datetime]]:
    """The clinician's busy sessions that overlap any of `spans` (start, end): their local
    start and end only, never the client. One statement."""
    if not spans:
        return []
    overlaps = Q()
    for start, end in spans:
        overlaps |= Q(starts_at__lt=end, ends__gt=start)
    rows = (
        TherapySession.objects.filter(therapist=therapist)
        .filter(BUSY)
        .exclude(pk__in=list(exclude))
        .annotate(
            ends=RawSQL(
                "starts_at + duration_minutes * interval '1 minute'",
                (),
                output_field=DateTimeField(),
            )
        )
        .filter(overlaps)
        .order_by("starts_at")
        .values_list("starts_at", "ends")[:20]
    )
    return [(timezone.localtime(s), timezone.localtime(e)) for s, e in rows]


def already_created(key, *, by: User) -> bool:
    """Whether a session form with this idempotency key was saved already."""
    return (
        bool(key)
        and TherapySession.objects.filter(idempotency_key=key, therapist=by).exists()
    )
