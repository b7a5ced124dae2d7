"""What the calendar pages and the conflict warnings read: a few statements each, whatever
the number of sessions."""

from __future__ import annotations

import re
from bisect import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from uuid import UUID

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    BigIntegerField,
    Case,
    DateTimeField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

from accounts.models import User
from ipnb_notes import access, batch
from sessions.models import TherapySession
from sessions.scheduling.vocabulary import STATUS_FOR

# Sessions that keep the clinician busy (a cancelled one frees the time).
BUSY = Q(status__in=[TherapySession.Status.SCHEDULED, TherapySession.Status.ATTENDED])
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
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


# --- Times on the practice's clock -------------------------------------------------------------
#
# A week of a large practice runs to a thousand sessions. Each is read as its UTC second
# (epoch) and length; the span's UTC offsets are looked up once, and each time is written
# from tables made once, never a datetime converted and formatted per session.

# Every minute of a day written once ("00:00" to "23:59"), and the seconds ("00" to "59").
_HHMM = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
_SS = tuple(f"{s:02d}" for s in range(60))
_DAY = int(timedelta(days=1).total_seconds())  # seconds in a day


def _utc_second() -> RawSQL:
    """A session's start as its UTC second (sessions start on the whole second)."""
    return RawSQL(
        "floor(extract(epoch from starts_at))::bigint",
        (),
        output_field=BigIntegerField(),
    )


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


class _Clock:
    """The practice's clock over `n` days from `first`: `times(utc, minutes)` gives a
    session's day (0 to n - 1; outside, another day), its start in ISO 8601 and its start
    and end as HH:MM."""

    def __init__(self, first: date, n: int) -> None:
        start = int(local_midnight(first).timestamp())
        end = int(local_midnight(first + timedelta(days=n)).timestamp())
        # A session ends within 600 minutes (the database's check): a day past the span.
        self.starts, self.offsets = _offsets(
            start, end + _DAY, timezone.get_current_timezone()
        )
        self.zones = [_utc_offset(offset) for offset in self.offsets]
        # The first day's midnight as if the practice's clock were UTC.
        self.origin = start + self.offsets[0]
        self.dates = [(first + timedelta(days=i)).isoformat() for i in range(n)]

    def times(self, utc: int, minutes: int) -> tuple[int, str, str, str]:
        starts, offsets = self.starts, self.offsets
        index = bisect(starts, utc) - 1
        day, second = divmod(utc + offsets[index] - self.origin, _DAY)
        if not 0 <= day < len(self.dates):
            return day, "", "", ""
        end = utc + minutes * 60
        end += offsets[bisect(starts, end) - 1] - self.origin
        hhmm = _HHMM[second // 60]
        return (
            day,
            f"{self.dates[day]}T{hhmm}:{_SS[second % 60]}{self.zones[index]}",
            hhmm,
            _HHMM[end % _DAY // 60],
        )


def _rows(bound: list[batch.Bound]) -> list[list[tuple]]:
    """Baked statements' rows as the driver reads them (ints and strings need no
    converter), all in one round trip."""
    sent = iter(batch.run([(b.sql, b.params) for b in bound if b.compiler is not None]))
    return [next(sent)[1] if b.compiler is not None else [] for b in bound]


# --- A clinician's day and week ----------------------------------------------------------------

_NIL = UUID(int=0)


def _clinician_sessions(user: User, first: datetime, last: datetime) -> list[QuerySet]:
    return [
        access.calendar_sessions(user)
        .filter(starts_at__gte=first, starts_at__lt=last)
        .annotate(utc=_utc_second())
        .order_by("starts_at")
        .values_list(
            "code",
            "utc",
            "duration_minutes",
            "status",
            "client__code",
            "client__preferred_name",
            "client__legal_name",
            "client_visible",
        )
    ]


# The same statement for every clinician and week: built and compiled once per shape.
_CLINICIAN_SESSIONS = batch.Baked(_clinician_sessions)


@dataclass(frozen=True)
class CalendarDay:
    """A day of the clinician's calendar: its heading (with the day's own page for a week's
    day), whether it is today, and its sessions in time order, each (link, start in ISO
    8601, start and end as HH:MM, client's name or None when it may not be shown, status
    label, cancelled)."""

    title: str
    day_link: str
    is_today: bool
    sessions: list[tuple]


def clinician_days(
    user: User, first: date, n: int
) -> tuple[list[CalendarDay], list[str]]:
    """The clinician's own sessions on `n` days (a day or a week) from `first`, each day's
    in time order, and the codes of the clients named (for the audit trail). One statement,
    compiled once; a client is named only where `client_visible` allows."""
    (rows,) = _rows(
        _CLINICIAN_SESSIONS(
            user, local_midnight(first), local_midnight(first + timedelta(days=n))
        )
    )
    clock = _Clock(first, n)
    head, _, tail = reverse("sessions:session_detail", args=[_NIL]).partition(str(_NIL))
    per_day: list[list[tuple]] = [[] for _ in range(n)]
    named = set()
    for code, utc, minutes, status, client, preferred, legal, visible in rows:
        day, iso, start, end = clock.times(utc, minutes)
        if not 0 <= day < n:
            continue
        if visible:
            named.add(str(client))
        per_day[day].append(
            (
                f"{head}{code}{tail}",
                iso,
                start,
                end,
                (preferred or legal) if visible else None,
                STATUS_LABELS[status],
                status in CANCELLED,
            )
        )
    today = timezone.localdate()
    days = []
    for i, sessions in enumerate(per_day):
        d = first + timedelta(days=i)
        days.append(
            CalendarDay(
                dateformat.format(d, "l, M j" if n == 1 else "D, M j"),
                "" if n == 1 else d.isoformat(),
                d == today,
                sessions,
            )
        )
    return days, sorted(named)


# --- The practice admin's week -----------------------------------------------------------------


# A status's place among the statuses (Scheduled, Attended, ...): blocks at the same start
# are listed in this order.
_STATUS_ORDER = Case(
    *(
        When(status=value, then=Value(place))
        for place, value in enumerate(TherapySession.Status.values)
    ),
    output_field=IntegerField(),
)


def _practice_week(user: User, first: datetime, last: datetime) -> list[QuerySet]:
    clinicians, sessions = access.practice_calendar(user)
    return [
        clinicians.order_by("full_name").values_list("pk", "full_name", "email"),
        # Each distinct block (start, length, status) once, in time order (at the same
        # start, in the statuses' order, then the shorter first), with the clinicians
        # who have it (one entry per session).
        sessions.filter(starts_at__gte=first, starts_at__lt=last)
        .annotate(utc=_utc_second())
        .values("utc", "duration_minutes", "status")
        .annotate(who=ArrayAgg("therapist_id"))
        .order_by("utc", _STATUS_ORDER, "duration_minutes")
        .values_list("utc", "duration_minutes", "status", "who"),
    ]


# The same two statements for every week: built and compiled once, sent in one round trip.
_PRACTICE_WEEK = batch.Baked(_practice_week)


@dataclass(frozen=True)
class PracticeWeek:
    """Every active clinician's week as busy blocks. A block is (start in ISO 8601, start
    and end as HH:MM, status label, cancelled); `blocks` holds each distinct one once, in
    time order, and each row is (clinician's name, 7 days), each day the indices of its
    blocks in `blocks`, in time order. Clinicians keep the same hours: a large practice's
    week of a thousand sessions has a few hundred distinct blocks, each formatted once
    (and a row's days written once per distinct set of blocks: practice_cells.py)."""

    blocks: list[tuple[str, str, str, str, bool]]
    rows: list[tuple[str, list[list[int]]]]
    # The column heads: each day's heading ("Mon, Mar 9") and whether it is today.
    days: list[tuple[str, bool]]

    def written_out(self) -> list[tuple[str, list[list[tuple]]]]:
        """The rows with each block written out (for tests and readers of one week)."""
        blocks = self.blocks
        return [
            (name, [[blocks[i] for i in day] for day in days])
            for name, days in self.rows
        ]


# Every block written so far, by (time zone, UTC second, minutes, status): its local date
# (ordinal) and the block, the same tuple each time it recurs. A block holds times and a
# status label, nothing of a clinician or a client; the week of any reader gets the same
# tuple for the same key. Bounded: emptied when full.
_BLOCKS: dict[tuple, tuple[int, tuple[str, str, str, str, bool]]] = {}
_BLOCKS_MAX = 10_000


def _day_heading(day: date) -> str:
    """dateformat's "D, M j" ("Mon, Mar 9"), from the same translated names."""
    return f"{WEEKDAYS_ABBR[day.weekday()]}, {MONTHS_3[day.month].title()} {day.day}"


def practice_week(user: User, monday: date) -> PracticeWeek:
    """Every active clinician's week, as busy blocks (time, length, status): two statements
    in one round trip, no client column read. PostgreSQL groups the week's sessions into
    distinct blocks (a few hundred for a thousand sessions), each with the clinicians who
    have it; a block's times and label are written once, whoever's it is."""
    people, rows = _rows(
        _PRACTICE_WEEK(
            user, local_midnight(monday), local_midnight(monday + timedelta(days=7))
        )
    )
    grid = {pk: [[] for _ in range(7)] for pk, _, _ in people}
    tz, first = timezone.get_current_timezone(), monday.toordinal()
    blocks: list[tuple[str, str, str, str, bool]] = []
    clock = None
    # The blocks come in time order, so each day's indices do too.
    for utc, minutes, status, who in rows:
        key = (tz, utc, minutes, status)
        found = _BLOCKS.get(key)
        if found is None:
            clock = clock or _Clock(monday, 7)
            day, iso, start, end = clock.times(utc, minutes)
            if not 0 <= day < 7:
                continue
            if len(_BLOCKS) >= _BLOCKS_MAX:
                _BLOCKS.clear()
            found = _BLOCKS[key] = (
                first + day,
                (iso, start, end, STATUS_LABELS[status], status in CANCELLED),
            )
        day = found[0] - first
        if not 0 <= day < 7:
            continue
        index = len(blocks)
        blocks.append(found[1])
        for therapist_id in who:
            days = grid.get(therapist_id)
            if days is not None:  # None: became active between the two statements
                days[day].append(index)
    today = timezone.localdate()
    return PracticeWeek(
        blocks,
        [(full_name or email, grid[pk]) for pk, full_name, email in people],
        [
            (_day_heading(d), d == today)
            for d in (monday + timedelta(days=i) for i in range(7))
        ],
    )


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
