"""Each clinician's private calendar feed (RFC 5545): a token stored hashed, shown once,
revocable and regenerable; events called "Session" or by initials, never by name; rate
limited; every read audited without client data."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from sessions.models import CalendarFeed
from sessions.scheduling import ical, services
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db


def parse(text: str) -> list[dict]:
    """Unfold the lines (RFC 5545 3.1) and read each VEVENT's properties back."""
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    unfolded: list[str] = []
    for line in lines:
        assert len(line.encode()) <= 75, line
        if line.startswith(" "):
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in unfolded
    events, current = [], None
    for line in unfolded:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return events


@pytest.fixture
def sessions(alice):
    jamie = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    soon = timezone.now() + timedelta(days=2)
    make_session(jamie, alice, starts_at=soon, status="SCHEDULED")
    make_session(
        jamie, alice, starts_at=soon + timedelta(days=7), status="LATE_CANCELLED"
    )
    # Outside the window: a year ago.
    make_session(jamie, alice, starts_at=timezone.now() - timedelta(days=365))
    return jamie


def _issue(browser, alice) -> str:
    browser.force_login(alice)
    settings_url = reverse("sessions:feed_settings")
    response = browser.post(settings_url, {"action": "issue"})
    assert response.status_code == 302
    page = browser.get(settings_url).content.decode()
    path = page.split('value="http://testserver')[1].split('"')[0]
    # Shown once: the next visit no longer carries it.
    assert "testserver/calendar/feed/" not in browser.get(settings_url).content.decode()
    return path


def test_the_feed_parses_back_with_no_client_name_and_the_token_stored_hashed(
    client, alice, sessions
):
    path = _issue(client, alice)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(therapist=alice)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.values_list().get())
    response = Client().get(path)  # a calendar app: not signed in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    for name in ("Jamie", "Rivers", "Jay"):
        assert name not in text
    events = parse(text)
    assert len(events) == 2
    assert {e["SUMMARY"] for e in events} == {"Session"}
    assert sorted(e["STATUS"] for e in events) == ["CANCELLED", "CONFIRMED"]
    assert all(e["DTSTART"].endswith("Z") and e["UID"] for e in events)


def test_initials_instead_of_session_when_the_clinician_chooses(
    client, alice, sessions
):
    path = _issue(client, alice)
    client.post(
        reverse("sessions:feed_settings"), {"action": "title", "title": "INITIALS"}
    )
    text = Client().get(path).content.decode()
    assert {e["SUMMARY"] for e in parse(text)} == {"Session J.R."}
    assert "Jamie" not in text and "Rivers" not in text


def test_revoking_and_regenerating_the_address(client, alice, sessions):
    first = _issue(client, alice)
    second = _issue(client, alice)
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    client.post(reverse("sessions:feed_settings"), {"action": "revoke"})
    assert Client().get(second).status_code == 404
    actions = list(
        AuditEvent.objects.filter(action__startswith="calendar_feed.")
        .exclude(action="calendar_feed.read")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "calendar_feed.issue",
        "calendar_feed.reissue",
        "calendar_feed.revoke",
    ]


def test_a_deactivated_clinicians_feed_stops(client, alice, sessions):
    path = _issue(client, alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert Client().get(path).status_code == 404


def test_each_read_is_audited_without_client_data(client, alice, sessions):
    path = _issue(client, alice)
    Client().get(path)
    [event] = AuditEvent.objects.filter(action="calendar_feed.read")
    assert event.client_code is None
    assert event.changes == {"events": [None, 2]}
    assert event.target_code == str(alice.code)


def test_the_feed_is_rate_limited(client, alice, sessions):
    cache.clear()
    path = _issue(client, alice)
    anonymous = Client()
    # The limit counts in fixed one-minute windows: the clock stands still so that a slow
    # run cannot cross into the next one.
    with time_machine.travel(time.time(), tick=False):
        codes = [
            anonymous.get(path).status_code
            for _ in range(services.FEED_REQUESTS_PER_MINUTE + 1)
        ]
    assert codes[:-1] == [200] * services.FEED_REQUESTS_PER_MINUTE
    assert codes[-1] == 429
    cache.clear()


def test_unknown_and_hostile_tokens_get_404(client):
    for token in ("nope", "x" * 500, "%00", "' OR 1=1 --"):
        response = Client().get(f"/calendar/feed/{token}.ics")
        assert response.status_code == 404


def test_the_settings_page_is_a_clinicians_own_and_bad_input_is_named(
    client, ada, alice
):
    client.force_login(ada)
    assert client.get(reverse("sessions:feed_settings")).status_code == 404
    client.force_login(alice)
    response = client.post(reverse("sessions:feed_settings"), {"action": "title"})
    assert response.status_code == 400
    assert "Choose what each event is called." in response.content.decode()
    response = client.post(reverse("sessions:feed_settings"), {"action": "delete-all"})
    assert response.status_code == 400


def test_text_is_escaped_and_long_lines_fold_inside_characters():
    event = ical.Event(
        uid="u@x",
        starts_at=timezone.now(),
        ends_at=timezone.now(),
        summary="a;b,c\\d\nÉ" * 20,
        status="CONFIRMED",
    )
    text = ical.calendar([event], name="Sessions", now=timezone.now())
    [parsed] = parse(text)
    assert parsed["SUMMARY"].startswith("a\\;b\\,c\\\\d\\nÉ")
