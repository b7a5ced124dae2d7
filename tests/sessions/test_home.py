"""The clinician's home: the open ruptures of their own clients, each draft listed once, and
today's sessions one click from the client page and the note editor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from sessions.capture import services as capture
from sessions.models import ProgressNote, RuptureEvent
from sessions.notes.services import home_context
from tests.factories import make_client, make_note, make_session

pytestmark = pytest.mark.django_db


def _rupture(client, therapist, *, days_ago: int, minute: int = 10, tag="withdrawal"):
    session = make_session(
        client, therapist, starts_at=timezone.now() - timedelta(days=days_ago)
    )
    event, _ = capture.event_create(
        session=session, tag=f"rupture-{tag}", minute=minute, by=therapist
    )
    return event


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, heading_id: str) -> str:
    """The HTML of the home's card whose heading has this id."""
    match = re.search(
        rf'<section class="card" aria-labelledby="{heading_id}">(.*?)</section>',
        html,
        re.S,
    )
    assert match, f"no section {heading_id}"
    return match.group(1)


def test_the_home_lists_open_ruptures_of_my_clients_newest_first_with_their_age(
    client, alice, charlie
):
    jay = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    sam = make_client(alice, legal_name="Samira Lowe", preferred_name="")
    old = _rupture(jay, alice, days_ago=20)
    recent = _rupture(sam, alice, days_ago=3, tag="confrontation")
    repaired = _rupture(jay, alice, days_ago=9)
    capture.repair_create(session=repaired.session, rupture=repaired, by=alice)
    someone_elses = _rupture(make_client(charlie), charlie, days_ago=2)

    rows = home_context(alice)["open_ruptures"]
    assert [r.pk for r in rows] == [recent.pk, old.pk]
    assert [r.age_days for r in rows] == [3, 20]

    section = _section(_home(client, alice), "ruptures-h")
    assert "3RS-informed" in section
    for rupture in (recent, old):
        assert f'href="{rupture.get_absolute_url()}"' in section
    assert section.index(str(recent.code)) < section.index(str(old.code))
    assert str(repaired.code) not in section
    assert str(someone_elses.code) not in section
    assert "3 days" in section and "20 days" in section
    assert "Confrontation" in section and "Withdrawal" in section
    assert f'href="{reverse("clients:client_detail", args=[sam.code])}"' in section
    assert "Samira Lowe" in section  # no preferred name: the legal name


def test_a_supervisor_sees_their_own_clients_ruptures_not_their_supervisees(
    client, alice, bob
):
    supervisees = _rupture(make_client(alice), alice, days_ago=5)
    own = _rupture(make_client(bob), bob, days_ago=6)
    assert [r.pk for r in home_context(bob)["open_ruptures"]] == [own.pk]
    section = _section(_home(client, bob), "ruptures-h")
    assert str(own.code) in section and str(supervisees.code) not in section


def test_without_open_ruptures_the_home_says_so(client, alice):
    section = _section(_home(client, alice), "ruptures-h")
    assert "No open ruptures on your clients' records." in section


def test_the_ruptures_cost_one_statement_whatever_the_number_of_clients(client, alice):
    _rupture(make_client(alice), alice, days_ago=4)
    client.force_login(alice)
    client.get(reverse("home"))

    def statements() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        return len(ctx.captured_queries)

    before = statements()
    for days in range(5, 10):
        _rupture(make_client(alice), alice, days_ago=days)
    assert statements() == before
    assert len(home_context(alice)["open_ruptures"]) == 6


def test_the_home_read_event_names_the_clients_shown_by_their_ruptures(client, alice):
    record = make_client(alice)
    _rupture(record, alice, days_ago=30)
    _home(client, alice)
    event = AuditEvent.objects.filter(action="home.list_view").latest("seq")
    assert str(record.code) in event.changes["clients"]


def test_a_draft_is_listed_once_in_notes_to_write(client, alice):
    record = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    drafted = make_session(record, alice, starts_at=timezone.now() - timedelta(days=2))
    make_note(drafted)
    unwritten = make_session(
        record, alice, starts_at=timezone.now() - timedelta(days=1)
    )
    html = _home(client, alice)
    editor = reverse("sessions:note_edit", args=[drafted.code])
    assert html.count(f'href="{editor}"') == 1
    to_write = _section(html, "towrite-h")
    assert f'href="{editor}"' in to_write and "Continue draft" in to_write
    assert f'href="{reverse("sessions:note_edit", args=[unwritten.code])}"' in to_write
    assert 'id="drafts-h"' not in html


def test_today_links_each_client_to_their_page_and_the_session_to_its_note(
    client, alice
):
    jay = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    kim = make_client(alice, legal_name="Kim Park", preferred_name="")
    ren = make_client(alice, legal_name="Ren Ito", preferred_name="")
    start = timezone.localtime().replace(hour=0, minute=30)
    attended = make_session(jay, alice, starts_at=start)
    drafted = make_session(kim, alice, starts_at=start + timedelta(hours=1))
    make_note(drafted)
    scheduled = make_session(
        ren, alice, starts_at=start + timedelta(hours=2), status="SCHEDULED"
    )
    today = _section(_home(client, alice), "today-h")
    for record in (jay, kim, ren):
        link = reverse("clients:client_detail", args=[record.code])
        assert f'href="{link}"' in today
    assert re.search(
        rf'<a href="{reverse("sessions:note_edit", args=[attended.code])}">Write note</a>',
        today,
    )
    assert re.search(
        rf'<a href="{reverse("sessions:note_edit", args=[drafted.code])}">{ProgressNote.Status.DRAFT.label}</a>',
        today,
    )
    # A session not (yet) attended has no note to write.
    assert reverse("sessions:note_edit", args=[scheduled.code]) not in today


def test_rupture_rows_read_only_the_columns_they_show(alice):
    _rupture(make_client(alice), alice, days_ago=4)
    [row] = home_context(alice)["open_ruptures"]
    assert isinstance(row, RuptureEvent)
    assert "note" in row.get_deferred_fields()  # the event's clinical text is not read
