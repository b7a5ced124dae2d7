"""Session, note and home pages run a fixed number of queries, whatever the amount of data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions.notes import services as services
from tests.factories import make_client, make_note, make_session
from tests.sessions.conftest import sign

pytestmark = pytest.mark.django_db

# Pinned budgets: every page within 10 round trips (tests/test_page_budget.py): the
# request's session and user, the access check, the page's reads (batched into one round trip,
# ipnb_notes.batch), one audit event for the page.
SESSION_PAGE = 10
NOTE_PAGE = 10
THERAPIST_HOME = 10
SUPERVISOR_HOME = 10


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def grow_note(note, alice, bob, n):
    for i in range(n):
        services.addendum_add(note=note, by=alice, text=f"Addendum {i}")
        services.comment_add(note=note, by=bob, text=f"Comment {i}")


def test_session_and_note_pages_do_not_grow(client, alice, bob, alices_signed_note):
    client.force_login(alice)
    session_url = reverse(
        "sessions:session_detail", args=[alices_signed_note.session.code]
    )
    note_url = alices_signed_note.get_absolute_url()
    small = (count(client, session_url), count(client, note_url))
    grow_note(alices_signed_note, alice, bob, 5)
    big = (count(client, session_url), count(client, note_url))
    assert small == big
    assert big[0] <= SESSION_PAGE, big
    assert big[1] <= NOTE_PAGE, big


def _populate(alice, n_clients):
    now = timezone.now()
    for i in range(n_clients):
        c = make_client(alice)
        make_session(c, alice, starts_at=now - timedelta(days=3, hours=i))
        draft_session = make_session(
            c, alice, starts_at=now - timedelta(days=4, hours=i)
        )
        make_note(draft_session)
        make_session(c, alice, starts_at=now + timedelta(minutes=i), status="SCHEDULED")


def test_therapist_home_does_not_grow(
    client, alice, bob, django_assert_max_num_queries
):
    client.force_login(alice)
    _populate(alice, 1)
    returned = sign(make_note(make_session(make_client(alice), alice)), alice)
    services.note_return(note=returned, by=bob, comment="More detail, please.")
    small = count(client, "/")
    _populate(alice, 6)
    for _ in range(3):
        returned = sign(make_note(make_session(make_client(alice), alice)), alice)
        services.note_return(note=returned, by=bob, comment="More detail, please.")
    big = count(client, "/")
    assert small == big
    with django_assert_max_num_queries(THERAPIST_HOME):
        html = client.get("/").content.decode()
    assert "Late" in html and "Draft, saved" in html and "More detail, please." in html


def test_supervisor_home_does_not_grow(
    client, alice, bob, django_assert_max_num_queries
):
    client.force_login(bob)
    small = count(client, "/")
    for _ in range(4):
        sign(make_note(make_session(make_client(alice), alice)), alice)
    big = count(client, "/")
    assert small == big
    with django_assert_max_num_queries(SUPERVISOR_HOME):
        html = client.get("/").content.decode()
    assert html.count("Review</a>") == 4
