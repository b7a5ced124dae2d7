"""The arithmetic of recurring appointments: weekly, every other week and monthly by weekday,
in the practice's local time across daylight-saving changes, month ends and 5th weekdays."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sessions.scheduling import recurrence
from sessions.scheduling.vocabulary import MAX_OCCURRENCES, Frequency

NY = ZoneInfo("America/New_York")


def test_weekly_keeps_the_local_time_across_the_spring_and_autumn_changes():
    # 2026: clocks go forward on Sunday March 8 and back on Sunday November 1 (New York).
    first = datetime(2026, 3, 3, 10, 0, tzinfo=NY)
    starts = recurrence.occurrences(first, Frequency.WEEKLY, NY, count=3)
    assert [s.astimezone(NY).hour for s in starts] == [10, 10, 10]
    # The UTC instant moves by an hour: 15:00 UTC before the change, 14:00 after.
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [15, 14, 14]
    autumn = recurrence.occurrences(
        datetime(2026, 10, 27, 9, 30, tzinfo=NY), Frequency.WEEKLY, NY, count=2
    )
    assert [s.astimezone(NY).time().isoformat() for s in autumn] == ["09:30:00"] * 2
    assert [s.utcoffset().total_seconds() / 3600 for s in autumn] == [-4, -5]


def test_every_other_week_until_a_date_includes_that_date():
    days = recurrence.local_dates(
        date(2026, 1, 6), Frequency.BIWEEKLY, until=date(2026, 2, 17)
    )
    assert days == [
        date(2026, 1, 6),
        date(2026, 1, 20),
        date(2026, 2, 3),
        date(2026, 2, 17),
    ]


def test_monthly_by_weekday_keeps_the_week_of_the_month():
    # March 10, 2026 is the 2nd Tuesday.
    days = recurrence.local_dates(date(2026, 3, 10), Frequency.MONTHLY_WEEKDAY, count=4)
    assert days == [
        date(2026, 3, 10),
        date(2026, 4, 14),
        date(2026, 5, 12),
        date(2026, 6, 9),
    ]
    assert all(d.weekday() == 1 and recurrence.week_of_month(d) == 2 for d in days)


def test_monthly_across_a_year_end_and_a_short_month():
    # The 4th Thursday of November: Thanksgiving, then December, January, February.
    days = recurrence.local_dates(
        date(2026, 11, 26), Frequency.MONTHLY_WEEKDAY, count=4
    )
    assert days == [
        date(2026, 11, 26),
        date(2026, 12, 24),
        date(2027, 1, 28),
        date(2027, 2, 25),
    ]


def test_a_series_on_a_5th_weekday_skips_months_without_one():
    # March 31, 2026 is the 5th Tuesday; April, May and July 2026 have no 5th Tuesday... but
    # June 30 is one, and September 29.
    days = recurrence.local_dates(date(2026, 3, 31), Frequency.MONTHLY_WEEKDAY, count=3)
    assert days == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 29)]


def test_the_count_is_capped_once_and_until_is_capped_too():
    many = recurrence.local_dates(date(2026, 1, 5), Frequency.WEEKLY, count=500)
    assert len(many) == MAX_OCCURRENCES
    far = recurrence.local_dates(
        date(2026, 1, 5), Frequency.WEEKLY, until=date(2030, 1, 1)
    )
    assert len(far) == MAX_OCCURRENCES


def test_a_series_that_ends_before_it_starts_has_no_dates():
    assert (
        recurrence.local_dates(
            date(2026, 3, 10), Frequency.WEEKLY, until=date(2026, 3, 9)
        )
        == []
    )


def test_nth_weekday_answers_none_when_the_month_has_no_such_day():
    assert recurrence.nth_weekday(2026, 2, 0, 5) is None  # no 5th Monday in Feb 2026
    assert recurrence.nth_weekday(2026, 3, 0, 5) == date(2026, 3, 30)


def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValueError):
        recurrence.local_dates(date(2026, 1, 1), "DAILY", count=2)


def test_a_shift_keeps_the_local_time_across_the_spring_change():
    starts = recurrence.occurrences(
        datetime(2026, 3, 3, 10, 0, tzinfo=NY), Frequency.WEEKLY, NY, count=2
    )
    moved = recurrence.shifted(starts, days=1, at=time(15, 30), tz=NY)
    assert [m.strftime("%m-%d %H:%M") for m in moved] == ["03-04 15:30", "03-11 15:30"]
    assert [m.utcoffset().total_seconds() / 3600 for m in moved] == [-5, -4]
