"""The session page and the note page are Jinja2 partials (templates/jinja2/sessions/
_session_page.html, _note_page.html, _session_events.html): a client's name, a moment's
markers and an open rupture of an earlier session print as text; the capture panel, which
shares the timeline's partial, shows its repair controls with their CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.capture import services as capture
from sessions.models import ProgressNote, TherapySession
from tests.clients.test_table_escaping import HOSTILE, _Page, assert_inert
from tests.factories import (
    make_client,
    make_note,
    make_session,
    make_supervision,
    make_user,
)


@pytest.fixture
def people(db):
    supervisor = make_user(email="sup@example.org", role="SUPERVISOR")
    associate = make_user(email="assoc@example.org")
    make_supervision(supervisor, associate, requires_cosignature=True)
    return supervisor, associate


def _record(associate, payload, *, with_note=True):
    client = make_client(associate, legal_name=f"Kim {payload}", preferred_name=payload)
    earlier = make_session(
        client,
        associate,
        starts_at=timezone.now() - timedelta(days=8),
        status=TherapySession.Status.ATTENDED,
    )
    capture.event_create(
        session=earlier, tag="rupture-withdrawal", minute=9, by=associate
    )
    session = make_session(
        client,
        associate,
        starts_at=timezone.now() - timedelta(hours=2),
        status=TherapySession.Status.ATTENDED,
    )
    capture.event_create(session=session, tag="match", minute=3, by=associate)
    if not with_note:
        return session, None
    note = make_note(
        session,
        status=ProgressNote.Status.AWAITING_COSIGNATURE,
        signed_at=timezone.now(),
        signed_by=associate,
        sections={"subjective": "Calmer."},
    )
    return session, note


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_session_and_note_pages_show_a_hostile_client_name_as_text(
    client, people, payload
):
    supervisor, associate = people
    session, note = _record(associate, payload)
    client.force_login(associate)
    html = client.get(
        reverse("sessions:session_detail", args=[session.code])
    ).content.decode()
    # The crumbs and the details.
    assert_inert(html, payload, times=2)
    assert "Open ruptures of this client" in html
    assert (
        "1 session, " in html or "sessions, " in html
    )  # the earlier session's rupture
    client.force_login(supervisor)
    html = client.get(
        reverse("sessions:note_detail", args=[note.code])
    ).content.decode()
    assert_inert(html, payload, times=1)
    assert 'action="' + reverse("sessions:note_cosign", args=[note.code]) in html


@pytest.mark.parametrize("payload", HOSTILE[:1])
def test_the_capture_panel_repairs_an_open_rupture_with_its_token(
    client, people, payload
):
    _, associate = people
    session, _ = _record(associate, payload, with_note=False)
    client.force_login(associate)
    html = client.get(reverse("sessions:capture", args=[session.code])).content.decode()
    repair = reverse("sessions:capture_repair", args=[session.code])
    page = _Page()
    page.feed(html)
    forms = [a for tag, a in page.tags if tag == "form" and a.get("action") == repair]
    assert forms, "the open rupture's repair form"
    assert 'name="rupture"' in html and 'name="csrfmiddlewaretoken"' in html
