"""The practice admin's week writes each distinct busy block (start, length, status) once and
prints it wherever a clinician has it: the same blocks, in the same order, on every row
(sessions/scheduling/queries.py PracticeWeek, templates/jinja2/scheduling/_practice_rows.html).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from sessions.models import TherapySession
from sessions.scheduling import queries
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 3, 9)  # 2026-W11
ROW = re.compile(r'<tr>\n<th scope="row">([^<]+)</th>\n(.*?)</tr>', re.S)
CELL = re.compile(r"<td>(.*?)</td>", re.S)
BLOCK = re.compile(
    r'<span class="cal-block( cal-cancelled)?"><span class="cal-time">'
    r'<time datetime="([^"]+)">(\d\d:\d\d)</time>&ndash;(\d\d:\d\d)</span> '
    r'<span class="muted">([^<]+)</span></span>'
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=NY)


@pytest.fixture
def shared_hours(alice, charlie):
    """Alice and Charlie both see someone at 09:00 on Tuesday; Charlie's is cancelled on
    Wednesday where Alice's took place."""
    mine, theirs = make_client(alice), make_client(charlie)
    for record, therapist in ((mine, alice), (theirs, charlie)):
        make_session(record, therapist, starts_at=at(10, 9), status="SCHEDULED")
    make_session(mine, alice, starts_at=at(11, 9), status="ATTENDED")
    make_session(theirs, charlie, starts_at=at(11, 9), status="CANCELLED")
    make_session(
        mine, alice, starts_at=at(10, 8), duration_minutes=30, status="SCHEDULED"
    )


def test_a_block_two_clinicians_share_is_written_once(ada, shared_hours):
    week = queries.practice_week(ada, MONDAY)
    assert [b[1:] for b in week.blocks] == [
        ("08:00", "08:30", "Scheduled", False),
        ("09:00", "09:50", "Scheduled", False),
        ("09:00", "09:50", "Attended", False),
        ("09:00", "09:50", "Cancelled", True),
    ]
    assert week.rows == [
        ("Alice Therapist", [[], [0, 1], [2], [], [], [], []]),
        ("Charlie Unrelated", [[], [1], [3], [], [], [], []]),
    ]


def test_the_page_prints_every_clinicians_blocks_in_time_order(
    client, ada, shared_hours
):
    client.force_login(ada)
    html = client.get(reverse("sessions:calendar"), {"week": "2026-W11"}).content
    rows = {
        name: [BLOCK.findall(cell) for cell in CELL.findall(cells)]
        for name, cells in ROW.findall(html.decode())
    }
    tuesday, wednesday = "2026-03-10T09:00:00-04:00", "2026-03-11T09:00:00-04:00"
    nine = ("", tuesday, "09:00", "09:50", "Scheduled")
    assert rows["Alice Therapist"][1:3] == [
        [("", "2026-03-10T08:00:00-04:00", "08:00", "08:30", "Scheduled"), nine],
        [("", wednesday, "09:00", "09:50", "Attended")],
    ]
    assert rows["Charlie Unrelated"][1:3] == [
        [nine],
        [(" cal-cancelled", wednesday, "09:00", "09:50", "Cancelled")],
    ]
    assert [len(days) for days in rows.values()] == [7, 7]
    assert html.decode().count('<span class="visually-hidden">Free</span>') == 10


def test_no_status_label_holds_a_line_break():
    """The partial writes one block per line and splits its text on line breaks: a block's
    values (ISO times, HH:MM, the status labels) never hold one."""
    for label in TherapySession.Status.labels:
        assert "\n" not in label and "\r" not in label


def test_the_column_heads_name_the_weeks_days_and_mark_today(client, ada, alice):
    client.force_login(ada)
    html = client.get(
        reverse("sessions:calendar"), {"week": "2026-W11"}
    ).content.decode()
    heads = re.findall(r'<th scope="col"( class="cal-today")?>([^<]+)</th>', html)
    assert heads == [("", "Clinician")] + [
        ("", f"{day}, Mar {9 + i}")
        for i, day in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ]
    today = timezone.localdate()
    html = client.get(reverse("sessions:calendar")).content.decode()
    marked = re.findall(r'<th scope="col" class="cal-today">([^<]+)</th>', html)
    assert marked == [dateformat.format(today, "D, M j")]


# --- What the page keeps between requests (sessions/scheduling/practice_cells.py, the blocks
# of queries.practice_week): keyed by the blocks themselves, never by whose they are.


def _page_rows(client) -> dict[str, list[list[tuple]]]:
    html = client.get(reverse("sessions:calendar"), {"week": "2026-W11"}).content
    return {
        name: [BLOCK.findall(cell) for cell in CELL.findall(cells)]
        for name, cells in ROW.findall(html.decode())
    }


def test_a_changed_session_shows_at_once_on_a_week_seen_before(
    client, ada, alice, charlie, shared_hours
):
    client.force_login(ada)
    before = _page_rows(client)
    assert before["Alice Therapist"][1][1][4] == "Scheduled"
    session = TherapySession.objects.get(therapist=alice, starts_at=at(10, 9))
    session.status = TherapySession.Status.CANCELLED
    session.save(update_fields=["status"])
    after = _page_rows(client)
    tuesday = "2026-03-10T09:00:00-04:00"
    assert after["Alice Therapist"][1][1] == (
        " cal-cancelled",
        tuesday,
        "09:00",
        "09:50",
        "Cancelled",
    )
    # Charlie's identical hour, kept from the first request, is still his own.
    assert after["Charlie Unrelated"] == before["Charlie Unrelated"]
    assert after["Charlie Unrelated"][1] == [
        ("", tuesday, "09:00", "09:50", "Scheduled")
    ]


def test_the_kept_cells_hold_times_and_statuses_never_a_name(
    client, ada, alice, charlie
):
    """Two clinicians with the same hours share their kept cells; each row still carries
    its own clinician's name, and nothing kept names a clinician or a client."""
    from sessions.scheduling import practice_cells

    alice.full_name, charlie.full_name = "Alice <b>Kept</b>", "Charlie Kept"
    alice.save(update_fields=["full_name"])
    charlie.save(update_fields=["full_name"])
    for therapist in (alice, charlie):
        record = make_client(therapist, legal_name=f"Client of {therapist.full_name}")
        make_session(record, therapist, starts_at=at(12, 14), status="SCHEDULED")
    client.force_login(ada)
    html = client.get(reverse("sessions:calendar"), {"week": "2026-W11"}).content
    rows = dict(ROW.findall(html.decode()))
    assert set(rows) == {"Alice &lt;b&gt;Kept&lt;/b&gt;", "Charlie Kept"}
    assert len(set(rows.values())) == 1  # the same cells, written once
    assert "<b>" not in html.decode()
    for key, cells in practice_cells._CELLS.items():
        kept = repr(key) + cells
        for word in ("Alice", "Charlie", "Client of", "@"):
            assert word not in kept
    for key, (_, block) in queries._BLOCKS.items():
        assert all(isinstance(v, (str, bool)) for v in block)
        assert "Alice" not in repr(key) + repr(block)


def test_a_block_is_written_in_the_time_zone_of_the_week_read(ada, alice):
    make_session(make_client(alice), alice, starts_at=at(10, 9), status="SCHEDULED")
    new_york = queries.practice_week(ada, MONDAY).written_out()
    with timezone.override(ZoneInfo("Europe/London")):
        london = queries.practice_week(ada, MONDAY).written_out()
    assert new_york[0][1][1] == [
        ("2026-03-10T09:00:00-04:00", "09:00", "09:50", "Scheduled", False)
    ]
    assert london[0][1][1] == [
        ("2026-03-10T13:00:00+00:00", "13:00", "13:50", "Scheduled", False)
    ]
