"""The day and week calendar: a clinician's own sessions, names only of clients they may see,
each session a link to its page; the practice admin's view of every clinician's week as busy
blocks without client names; bad week input answered beside the field; queries pinned."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from clients.models import CaseAssignment
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
WEEK = "2026-W11"  # Monday March 9 to Sunday March 15, 2026
CALENDAR_BUDGET = 10


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=NY)


@pytest.fixture
def week(alice, charlie):
    jamie = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    gone = make_client(alice, legal_name="Former Client")
    make_session(jamie, alice, starts_at=at(10, 9), status="SCHEDULED")
    make_session(jamie, alice, starts_at=at(12, 14, 30), status="CANCELLED")
    make_session(gone, alice, starts_at=at(11, 11), status="SCHEDULED")
    # The former client's assignment has ended: Alice no longer sees the record.
    CaseAssignment.objects.filter(client=gone).update(ended_at=at(1, 0))
    other = make_client(charlie, legal_name="Charlie Client")
    make_session(other, charlie, starts_at=at(10, 9, 30), status="SCHEDULED")
    return jamie


def _get(client, user, **params):
    client.force_login(user)
    return client.get(reverse("sessions:calendar"), params)


def test_a_clinicians_week_shows_their_sessions_linked_and_named_where_visible(
    client, alice, week
):
    response = _get(client, alice, week=WEEK)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Week of March 9, 2026" in page
    session = week.sessions.get(starts_at=at(10, 9))
    assert f'href="{session.get_absolute_url()}"' in page
    assert "Jay" in page
    # No longer on her caseload: the session shows, the client's name does not.
    assert "Former Client" not in page
    # Another clinician's session is not on Alice's calendar.
    assert "Charlie Client" not in page and "09:30" not in page
    # Status labels come from the model's choices.
    assert "Cancelled" in page and "Scheduled" in page
    [event] = AuditEvent.objects.filter(action="calendar.view")
    assert event.changes["clients"] == [str(week.code)]


def test_navigation_links_come_first_in_reading_order(client, alice, week):
    page = _get(client, alice, week=WEEK).content.decode()
    main = page.split('id="main"')[1]
    prev = main.index("?week=2026-W10")
    today = main.index(">Today<")
    nxt = main.index("?week=2026-W12")
    first_session = main.index("cal-session")
    assert prev < today < nxt < first_session


def test_the_day_view_shows_one_day(client, alice, week):
    page = _get(client, alice, day="2026-03-10").content.decode()
    assert "Tuesday, March 10, 2026" in page
    assert "Jay" in page
    assert "14:30" not in page  # Thursday's session
    assert "?day=2026-03-09" in page and "?day=2026-03-11" in page


@pytest.mark.parametrize(
    "params",
    [
        {"week": "2026-W99"},
        {"week": "drop table"},
        {"day": "2026-02-30"},
        {"week": "0001-W01"},
        {"day": "9999-12-31"},
    ],
)
def test_bad_week_or_day_input_is_named_beside_the_field(client, alice, params):
    response = _get(client, alice, **params)
    assert response.status_code == 400
    assert "Enter a week such as 2026-W10" in response.content.decode()


def test_the_admin_sees_every_clinicians_week_as_busy_blocks_without_names(
    client, ada, alice, charlie, week
):
    response = _get(client, ada, week=WEEK)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Therapist" in page and "Charlie Unrelated" in page
    for name in ("Jay", "Jamie", "Rivers", "Former Client", "Charlie Client"):
        assert name not in page
    assert "09:00" in page and "09:30" in page and "Cancelled" in page
    # Busy blocks are not links to sessions the admin may not open.
    assert "/sessions/" not in page


def test_a_supervisor_sees_their_own_calendar_not_their_supervisees(client, bob, week):
    page = _get(client, bob, week=WEEK).content.decode()
    assert "Jay" not in page and "No sessions." in page


def _count(client, user):
    client.force_login(user)
    url = reverse("sessions:calendar") + f"?week={WEEK}"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_is_pinned_and_does_not_grow_with_sessions(
    client, alice, ada, week
):
    small = {user: _count(client, user) for user in (alice, ada)}
    for i in range(25):
        make_session(
            week, alice, starts_at=at(9 + i % 5, 8) + timedelta(minutes=20 * i)
        )
    large = {user: _count(client, user) for user in (alice, ada)}
    assert small == large
    assert max(large.values()) <= CALENDAR_BUDGET


def test_the_admin_asking_for_a_day_gets_its_week(client, ada, week):
    page = _get(client, ada, day="2026-03-11").content.decode()
    assert "week of March 9, 2026" in page
    assert "?week=2026-W10" in page and "?week=2026-W12" in page
