"""The dates of a recurring series, in the practice's local time.

Occurrences keep their local time of day across a daylight-saving change (a 10:00 session
stays at 10:00, its UTC instant moves by an hour). "Monthly, on the same weekday" keeps the
first session's week of the month (the 2nd Tuesday stays the 2nd Tuesday); a series that
starts on a 5th weekday skips the months that have none, as RFC 5545's BYDAY=5TU does."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sessions.scheduling.vocabulary import MAX_OCCURRENCES, Frequency

_STEP_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14}
# How many months a monthly series looks ahead before it stops (a 5th-weekday series meets
# about four such months a year).
_MONTHS_AHEAD = MAX_OCCURRENCES * 3


def week_of_month(day: date) -> int:
    """1 for the first such weekday of its month, ... 5 for the fifth."""
    return (day.day - 1) // 7 + 1


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date | None:
    """The n-th `weekday` (Monday 0) of the month, or None when the month has no n-th."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    return day if day.month == month else None


def local_dates(
    first: date, frequency: str, *, until: date | None = None, count: int | None = None
) -> list[date]:
    """The series' dates from `first`, ending on `until` or after `count`, never more than
    MAX_OCCURRENCES."""
    limit = min(count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    dates: list[date] = []
    if frequency in _STEP_DAYS:
        step = timedelta(days=_STEP_DAYS[frequency])
        day = first
        while len(dates) < limit and (until is None or day <= until):
            dates.append(day)
            day += step
        return dates
    if frequency != Frequency.MONTHLY_WEEKDAY:
        raise ValueError(f"unknown frequency {frequency!r}")
    n = week_of_month(first)
    for k in range(_MONTHS_AHEAD):
        year, month = divmod(first.month - 1 + k, 12)
        day = nth_weekday(first.year + year, month + 1, first.weekday(), n)
        if day is None:
            continue
        if len(dates) >= limit or (until is not None and day > until):
            break
        dates.append(day)
    return dates


def occurrences(
    first: datetime,
    frequency: str,
    tz: tzinfo,
    *,
    until: date | None = None,
    count: int | None = None,
) -> list[datetime]:
    """The series' start instants (aware), each at the first session's local time of day."""
    local = first.astimezone(tz)
    at = local.time().replace(tzinfo=None)
    return [
        datetime.combine(day, at).replace(tzinfo=tz)
        for day in local_dates(local.date(), frequency, until=until, count=count)
    ]


def shifted(
    starts: list[datetime], *, days: int, at: time, tz: tzinfo
) -> list[datetime]:
    """Each start moved by `days` local days, to the local time `at` (what a move of this and
    the following sessions does in SQL; the form checks the result for conflicts first)."""
    return [
        datetime.combine(
            start.astimezone(tz).date() + timedelta(days=days), at
        ).replace(tzinfo=tz)
        for start in starts
    ]
