"""What the calendar pages and the conflict warnings read: a few statements each, whatever
the number of sessions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import DateTimeField, Q
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


@dataclass
class ClinicianWeek:
    clinician: User
    days: list[Day]


@dataclass(frozen=True)
class Block:
    """A busy time on the practice calendar, its times already written in practice time
    (a week runs to a thousand blocks): no client, no session link."""

    start_iso: str
    start: str
    end: str
    status_label: str
    is_cancelled: bool


def practice_week(user: User, monday: date) -> list[ClinicianWeek]:
    """Every active clinician's week, as busy blocks (time, length, status): two statements,
    no client column read. A week of a large practice runs to a thousand blocks, so they are
    plain rows (values_list), not model instances, and the page renders them with Jinja2."""
    clinicians, sessions = access.practice_calendar(user)
    people = list(clinicians.only("code", "full_name", "email").order_by("full_name"))
    rows = (
        sessions.filter(
            starts_at__gte=local_midnight(monday),
            starts_at__lt=local_midnight(monday + timedelta(days=7)),
        )
        .order_by("starts_at")
        .values_list("therapist_id", "starts_at", "duration_minutes", "status")
    )
    weeks = {p.pk: ClinicianWeek(p, _days(monday, 7)) for p in people}
    tz = timezone.get_current_timezone()
    for therapist_id, starts_at, minutes, status in rows:
        week = weeks.get(therapist_id)
        start = starts_at.astimezone(tz)
        offset = (start.date() - monday).days
        if week is None or not 0 <= offset < 7:
            continue
        end = (starts_at + timedelta(minutes=minutes)).astimezone(tz)
        week.days[offset].sessions.append(
            Block(
                start.isoformat(),
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                STATUS_LABELS[status],
                status in CANCELLED,
            )
        )
    return list(weeks.values())


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
