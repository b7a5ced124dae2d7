"""The calendars write each session's times from whole seconds and the week's UTC offsets
(sessions/scheduling/queries.py), not from a datetime per session: these tests hold them to
what Python's own conversion writes, on ordinary weeks and on the weeks the clocks change
(an hour in New York, half an hour on Lord Howe Island), and show hostile names as text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import TherapySession
from sessions.scheduling import queries
from tests.clients.test_table_escaping import HOSTILE, MARK, assert_inert
from tests.factories import make_client, make_session, make_user

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
BLOCK = re.compile(
    r'<time datetime="([^"]+)">(\d\d:\d\d)</time>&ndash;(\d\d:\d\d)</span> '
    r'<span class="muted">([^<]+)</span>'
)


def _expected(sessions, monday: date) -> list[list[tuple]]:
    """Each day's blocks as Python writes them: localtime, isoformat, %H:%M (the end is
    the start plus the length in elapsed time, added in UTC)."""
    days: list[list[tuple]] = [[] for _ in range(7)]
    for s in sorted(sessions, key=lambda s: s.starts_at):
        utc = s.starts_at.astimezone(UTC)
        start = timezone.localtime(utc)
        end = timezone.localtime(utc + timedelta(minutes=s.duration_minutes))
        offset = (start.date() - monday).days
        if 0 <= offset < 7:
            days[offset].append(
                (
                    start.isoformat(),
                    f"{start:%H:%M}",
                    f"{end:%H:%M}",
                    s.get_status_display(),
                    s.status in queries.CANCELLED,
                )
            )
    return days


def _week(therapist, tz, monday: date, times) -> list[TherapySession]:
    record = make_client(therapist)
    return [
        make_session(
            record,
            therapist,
            starts_at=at,
            duration_minutes=minutes,
            status=status,
        )
        for at, minutes, status in times
    ]


def _sunday(monday: date, tz, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(
        monday + timedelta(days=6), datetime.min.time(), tzinfo=tz
    ).replace(hour=hour, minute=minute, fold=fold)


CASES = {
    # Clocks go forward at 02:00 on Sunday March 8, 2026.
    "spring": (NY, date(2026, 3, 2)),
    # Clocks go back at 02:00 on Sunday November 1, 2026: 01:30 happens twice.
    "autumn": (NY, date(2026, 10, 26)),
    "ordinary": (NY, date(2026, 3, 9)),
    # Lord Howe Island goes back half an hour at 02:00 on Sunday April 5, 2026.
    "half hour": (ZoneInfo("Australia/Lord_Howe"), date(2026, 3, 30)),
}


@pytest.mark.parametrize("case", CASES)
def test_practice_week_times_match_pythons_own_conversion(ada, alice, charlie, case):
    tz, monday = CASES[case]
    with timezone.override(tz):
        monday_at = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
        sessions = _week(
            alice,
            tz,
            monday,
            [
                (monday_at, 50, "ATTENDED"),  # the week's first instant
                (monday_at.replace(hour=9, minute=15), 45, "NO_SHOW"),
                (monday_at + timedelta(days=2, hours=23, minutes=30), 60, "CANCELLED"),
                (_sunday(monday, tz, 0, 45), 90, "SCHEDULED"),  # across the change
                (_sunday(monday, tz, 1, 30), 50, "SCHEDULED"),
                (_sunday(monday, tz, 1, 30, fold=1), 50, "LATE_CANCELLED"),
                (_sunday(monday, tz, 3), 50, "SCHEDULED"),
                (_sunday(monday, tz, 23, 30), 120, "SCHEDULED"),  # ends next week
                (monday_at + timedelta(days=7), 50, "SCHEDULED"),  # next week
                (monday_at - timedelta(minutes=30), 50, "SCHEDULED"),  # last week
            ],
        )
        rows = queries.practice_week(ada, monday).written_out()
        assert rows == [
            ("Alice Therapist", _expected(sessions, monday)),
            ("Charlie Unrelated", [[] for _ in range(7)]),
        ]
        # The week holds every session that starts in it, and only those.
        assert sum(len(day) for day in rows[0][1]) == 8


def test_the_practice_page_prints_the_times_python_writes(client, ada, alice):
    monday = date(2026, 10, 26)
    sessions = _week(
        alice,
        NY,
        monday,
        [
            (_sunday(monday, NY, 1, 30), 50, "SCHEDULED"),
            (_sunday(monday, NY, 1, 30, fold=1), 50, "CANCELLED"),
            (datetime(2026, 10, 27, 9, tzinfo=NY), 50, "ATTENDED"),
        ],
    )
    client.force_login(ada)
    page = client.get(reverse("sessions:calendar"), {"week": "2026-W44"})
    blocks = BLOCK.findall(page.content.decode())
    expected = [block[:4] for day in _expected(sessions, monday) for block in day]
    assert blocks == expected
    assert ("2026-11-01T01:30:00-05:00", "01:30", "02:20", "Cancelled") in blocks


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_practice_week_shows_a_hostile_clinician_name_as_text(client, ada, payload):
    therapist = make_user(full_name=f"Sam {payload}")
    record = make_client(therapist, legal_name=f"Kim {MARK}client")
    make_session(
        record,
        therapist,
        starts_at=datetime(2026, 3, 10, 9, tzinfo=NY),
        status="SCHEDULED",
    )
    client.force_login(ada)
    html = client.get(reverse("sessions:calendar"), {"week": "2026-W11"}).content
    assert_inert(html.decode(), payload)
    assert f"{MARK}client" not in html.decode()


CALENDAR_SESSION = re.compile(
    r'<a href="([^"]+)"><span class="cal-time"><time datetime="([^"]+)">(\d\d:\d\d)</time>'
    r'–(\d\d:\d\d)</span>\s+<span class="cal-who">([^<]*)</span></a>\s+'
    r'<span class="badge[^"]*">([^<]+)</span>'
)


@pytest.mark.parametrize("case", ["spring", "autumn", "half hour"])
def test_a_clinicians_week_prints_the_times_python_writes(client, alice, case):
    tz, monday = CASES[case]
    with timezone.override(tz):
        monday_at = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
        sessions = _week(
            alice,
            tz,
            monday,
            [
                (monday_at + timedelta(hours=10), 50, "ATTENDED"),
                (_sunday(monday, tz, 0, 45), 90, "SCHEDULED"),
                (_sunday(monday, tz, 1, 30, fold=1), 50, "CANCELLED"),
                (_sunday(monday, tz, 3), 50, "SCHEDULED"),
                (monday_at + timedelta(days=7), 50, "SCHEDULED"),  # next week
            ],
        )
        client.force_login(alice)
        year, week, _ = monday.isocalendar()
        html = client.get(
            reverse("sessions:calendar"), {"week": f"{year}-W{week:02d}"}
        ).content.decode()
        found = CALENDAR_SESSION.findall(html)
        expected = [
            (s.get_absolute_url(), iso, start, end, s.client.legal_name, label)
            for s, (iso, start, end, label, _) in zip(
                sorted(sessions, key=lambda s: s.starts_at),
                [block for day in _expected(sessions, monday) for block in day],
                strict=False,
            )
        ]
        assert found == expected and len(found) == 4
        # The day view of the Sunday: the same times, that day's only.
        sunday = (monday + timedelta(days=6)).isoformat()
        html = client.get(reverse("sessions:calendar"), {"day": sunday}).content
        assert CALENDAR_SESSION.findall(html.decode()) == expected[1:]


def test_a_clinicians_day_headings_link_each_day_and_mark_today(client, alice):
    client.force_login(alice)
    today = timezone.localdate()
    html = client.get(reverse("sessions:calendar")).content.decode()
    monday = today - timedelta(days=today.weekday())
    for i in range(7):
        day = monday + timedelta(days=i)
        title = f"{day:%a}, {day:%b} {day.day}"
        assert f'<a href="?day={day.isoformat()}">{title}</a>' in html
    assert html.count('<span class="badge">Today</span>') == 1
    assert html.count("cal-day cal-today") == 1
    assert html.count('<p class="empty">No sessions.</p>') == 7


@pytest.mark.parametrize("payload", HOSTILE)
def test_a_clinicians_week_shows_hostile_client_names_as_text(client, alice, payload):
    """templates/jinja2/scheduling/_calendar_days.html: a name the clinician may see is
    printed as typed; a client no longer on the caseload is "Session", never named."""
    shown = make_client(alice, legal_name="Lee Legal", preferred_name=payload[:100])
    gone = make_client(alice, legal_name=f"Kim {MARK}gone")
    make_session(shown, alice, starts_at=datetime(2026, 3, 10, 9, tzinfo=NY))
    make_session(gone, alice, starts_at=datetime(2026, 3, 11, 9, tzinfo=NY))
    gone.assignments.update(ended_at=datetime(2026, 3, 1, tzinfo=NY))
    client.force_login(alice)
    html = client.get(reverse("sessions:calendar"), {"week": "2026-W11"}).content
    assert_inert(html.decode(), payload[:100])
    assert f"{MARK}gone" not in html.decode()
    assert '<span class="cal-who">Session</span>' in html.decode()
