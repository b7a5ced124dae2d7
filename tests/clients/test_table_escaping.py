"""The caseload list, the client page and both homes print their long lists through Jinja2
partials (templates/jinja2/clients/, templates/jinja2/home/): hostile text typed into a client's
names, pronouns, a goal or a clinician's name comes out of every row as the very characters
typed, never as markup, an event handler, an htmx attribute or an evaluated template."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from ipnb_notes.practice import note_late_after
from sessions.capture import services as capture
from sessions.models import ProgressNote, TherapySession
from tests.factories import (
    make_client,
    make_goal,
    make_note,
    make_session,
    make_supervision,
    make_user,
)

MARK = "zq9x"
HOSTILE = [
    f"<script>alert('{MARK}')</script>",
    f"\"><img src=x onerror=alert('{MARK}')>",
    f"' onmouseover='alert(\"{MARK}\")' x='",
    f'</td></tr><tr><td hx-get="/{MARK}" hx-trigger="load">{MARK}',
    f"{{{{ 7 * 7 }}}}{{% raw %}}{MARK}&amp;",
]


class _Page(HTMLParser):
    """Every tag and attribute of a page, its text, and what its scripts hold."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script += data
        else:
            self.text += data


def assert_inert(html: str, payload: str, times: int = 1) -> None:
    page = _Page()
    page.feed(html)
    assert MARK not in page.script
    for tag, attrs in page.tags:
        assert tag not in {"img", "iframe"}, (tag, attrs)
        for name, value in attrs.items():
            assert MARK not in name, (tag, name)
            if name.startswith(("on", "hx-", "data-hx")):
                assert MARK not in (value or ""), (tag, name, value)
    # Shown as typed, as text, in as many places as the page shows it.
    assert page.text.count(payload) >= times, payload


@pytest.mark.parametrize("payload", HOSTILE)
def test_caseload_rows_show_hostile_names_and_pronouns_as_text(client, alice, payload):
    make_client(alice, legal_name=f"Lee {payload}", pronouns=payload[:40])
    make_client(alice, legal_name="Robin Smith", preferred_name=payload)
    client.force_login(alice)
    response = client.get(reverse("clients:client_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html, payload, times=2)
    assert_inert(html, payload[:40], times=3)  # the pronouns field holds 40 characters
    assert html.count('<tr class="read-only">') == 0
    assert html.count("<tr>") == 3  # the header row and one row per client


@pytest.mark.parametrize("payload", HOSTILE)
def test_client_page_timeline_and_goals_show_hostile_text_as_text(
    client, alice, payload
):
    alice.full_name = f"Alice {payload}"
    alice.save(update_fields=["full_name"])
    record = make_client(alice, legal_name="Robin Smith")
    make_goal(record, alice, text=payload)
    session = make_session(record, alice)
    make_note(session, status=ProgressNote.Status.SIGNED)
    client.force_login(alice)
    response = client.get(reverse("clients:client_detail", args=[record.code]))
    assert response.status_code == 200
    html = response.content.decode()
    # The goal's text; the therapist in the timeline (and in the overview).
    assert_inert(html, payload, times=3)
    # The goal's status form still carries its CSRF token.
    assert 'name="csrfmiddlewaretoken"' in html.split('class="goal-list"')[1]


@pytest.mark.parametrize("payload", HOSTILE)
def test_client_page_overview_shows_hostile_details_as_text(client, alice, payload):
    """The whole client page is one Jinja2 partial (clients/_client_page.html): every detail
    typed about the client, its Measures section and its timeline print as text."""
    record = make_client(
        alice,
        legal_name=f"Lee {payload}",
        preferred_name=payload[:100],
        pronouns=payload[:40],
        phone=payload[:40],
        address=payload,
        emergency_contact_name=payload,
        emergency_contact_relationship=payload[:60],
        emergency_contact_phone=payload[:40],
        presenting_concerns=payload,
        diagnoses=[{"code": "F41.1", "label": payload}],
    )
    client.force_login(alice)
    response = client.get(reverse("clients:client_detail", args=[record.code]))
    assert response.status_code == 200
    html = response.content.decode()
    # The address, emergency contact, diagnosis and presenting concerns.
    assert_inert(html, payload, times=4)
    assert_inert(html, payload[:40], times=7)
    assert 'id="measures"' in html and 'id="timeline"' in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_home_rows_show_hostile_client_names_as_text(client, alice, payload):
    record = make_client(alice, legal_name="Robin Smith", preferred_name=payload)
    now = timezone.now()
    # Today's session, to write, with a rupture left open.
    today = make_session(record, alice, starts_at=now - timedelta(minutes=5))
    capture.event_create(session=today, tag="rupture-withdrawal", minute=1, by=alice)
    # A day past the practice's late-note threshold.
    drafted = make_session(
        record, alice, starts_at=now - note_late_after() - timedelta(days=1)
    )
    make_note(drafted)  # a late draft, in "Notes to write" (once)
    client.force_login(alice)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html, payload, times=4)
    assert 'class="late"' in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_cosignature_queue_rows_show_hostile_names_as_text(client, db, payload):
    supervisor = make_user(email="sup@example.org", role="SUPERVISOR")
    associate = make_user(email="assoc@example.org", full_name=f"Sam {payload}")
    make_supervision(supervisor, associate, requires_cosignature=True)
    record = make_client(associate, legal_name=f"Kim {payload}")
    session = make_session(record, associate, status=TherapySession.Status.ATTENDED)
    note = make_note(
        session,
        status=ProgressNote.Status.AWAITING_COSIGNATURE,
        signed_at=timezone.now(),
        signed_by=associate,
    )
    client.force_login(supervisor)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html, payload, times=2)
    assert reverse("sessions:note_detail", args=[note.code]) in html


def test_rows_print_dates_as_the_django_pages_did(client, alice):
    """The partials format dates themselves: local time, English month and day names."""
    record = make_client(alice, legal_name="Robin Smith")
    make_session(record, alice)  # Mon Mar 2, 2026, 10:00 in New York
    client.force_login(alice)
    html = client.get(reverse("clients:client_list")).content.decode()
    assert '<time datetime="2026-03-02T10:00:00-05:00">Mar 2, 2026</time>' in html
    html = client.get(reverse("clients:client_detail", args=[record.code])).content
    assert "Mon Mar 2, 2026 10:00</time>" in html.decode()


@pytest.mark.parametrize("payload", HOSTILE)
def test_practice_week_rows_show_hostile_clinician_names_as_text(client, db, payload):
    """The practice admin's week (templates/jinja2/scheduling/_practice_rows.html): the
    clinician's name as typed; the client's name never appears at all."""
    admin = make_user(email="admin@example.org", role="ADMIN")
    therapist = make_user(email="t@example.org", full_name=f"Sam {payload}")
    record = make_client(therapist, legal_name=f"Kim {MARK}client")
    make_session(
        record,
        therapist,
        starts_at=timezone.localtime().replace(hour=10, minute=0, second=0),
        status=TherapySession.Status.SCHEDULED,
    )
    client.force_login(admin)
    response = client.get(reverse("sessions:calendar"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html, payload)
    assert f"{MARK}client" not in html
    assert "10:00" in html and "Scheduled" in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_latest_ratings_show_a_hostile_indicator_label_as_text(payload):
    """The client page's ratings (templates/jinja2/clients/_rating_items.html): a label a
    practice typed stays text, and each status link is the one {% status_link %} prints."""
    from django.template import engines

    from ipnb_notes.templatetags.sources import status_of

    rating = {
        "label": payload,
        "value": 3,
        "scale_min": 0,
        "scale_max": 4,
        "instrument_status": "CLINICIAN_CONCEPTUAL",
        "group": "PRACTICE",
    }
    rating["status"] = status_of(rating)
    django = engines["django"]
    html = django.from_string(
        '{% load jinja %}{% jinja "clients/_rating_items.html" ratings=ratings %}'
    ).render({"ratings": [rating]})
    assert_inert(html, payload)
    page = _Page()
    page.feed(html)
    assert [tag for tag, _ in page.tags] == ["li", "span", "span", "span", "a"]
    expected = django.from_string(
        "{% load sources %}<li><span>{{ r.label }}</span><span>{{ r.value }}"
        ' <span class="muted">on {{ r.scale_min }}–{{ r.scale_max }} ·'
        " {% status_link r %}</span></span></li>"
    ).render({"r": rating})
    # The same tags, attributes and text (the two engines spell an escaped quote differently).
    django_page = _Page()
    django_page.feed(expected)
    assert (page.tags, page.text) == (django_page.tags, django_page.text)
