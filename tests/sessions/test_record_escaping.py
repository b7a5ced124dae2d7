"""The note editor's widgets come from Django's Jinja2 form renderer (sessions/notes/views/
notes.py): hostile text typed into a goal, a note's sections, its plan and risk details comes
back in the editor as the very characters typed, never as markup, an event handler or an htmx
attribute, whether the editor is opened or returned with an error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.capture import services as capture
from sessions.models import ProgressNote, TherapySession
from tests.clients.test_table_escaping import HOSTILE, assert_inert
from tests.factories import (
    make_client,
    make_goal,
    make_note,
    make_session,
    make_supervision,
    make_user,
)


@pytest.mark.parametrize("payload", HOSTILE)
def test_note_editor_shows_hostile_goals_and_text_as_text(client, alice, payload):
    record = make_client(alice, legal_name=f"Robin {payload}")
    make_goal(record, alice, text=payload)
    session = make_session(record, alice)
    note = make_note(session)
    note.plan = payload
    note.sections = {**(note.sections or {}), "subjective": payload}
    note.save(update_fields=["plan", "sections"])
    client.force_login(alice)
    response = client.get(reverse("sessions:note_edit", args=[session.code]))
    assert response.status_code == 200
    html = response.content.decode()
    # The goal's checkbox label (it names the client), the subjective section's and the
    # plan's textareas.
    assert_inert(html, payload, times=3)
    assert html.count("<textarea") > 3
    assert html.count('name="goals_addressed"') == 1
    assert html.count('type="checkbox" name="interventions"') > 3


@pytest.mark.parametrize("payload", HOSTILE)
def test_refused_note_save_keeps_hostile_text_as_text(client, alice, payload):
    record = make_client(alice, legal_name="Robin Smith")
    session = make_session(record, alice)
    note = make_note(session)
    client.force_login(alice)
    response = client.post(
        reverse("sessions:note_edit", args=[session.code]),
        {
            "action": "save",
            "version": note.version,
            "format": "NOT_A_FORMAT",
            "plan": payload,
            "risk_details": payload,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert_inert(html, payload, times=2)
    # The refused choice is named beside its field.
    assert "Select a valid choice" in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_refused_comment_keeps_hostile_text_and_anchor_as_text(client, db, payload):
    """The note to co-sign: its comment, co-signature and return forms come from the same
    renderer; a refused comment comes back with what was typed, inert, in the textarea and
    in the hidden anchor field."""
    supervisor = make_user(email="sup@example.org", role="SUPERVISOR")
    associate = make_user(email="assoc@example.org")
    make_supervision(supervisor, associate, requires_cosignature=True)
    record = make_client(associate, legal_name="Kim Lee")
    session = make_session(record, associate, status=TherapySession.Status.ATTENDED)
    note = make_note(
        session,
        status=ProgressNote.Status.AWAITING_COSIGNATURE,
        signed_at=timezone.now(),
        signed_by=associate,
    )
    client.force_login(supervisor)
    response = client.post(
        reverse("sessions:note_comment", args=[note.code]),
        # About a moment and a section at once: refused.
        {"text": payload, "anchor_type": "rupture", "anchor_section": payload[:40]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert_inert(html, payload, times=1)
    assert "A comment is about one moment or one section, not both." in html
    assert 'name="attest"' in html  # the co-signature form, beside it


@pytest.mark.parametrize("payload", HOSTILE)
def test_timeline_moments_show_hostile_notes_as_text(client, db, payload):
    """The session timeline's moments come from a Jinja2 partial
    (templates/jinja2/sessions/_timeline.html): a moment's note typed as markup comes
    out as text on the session page, the capture panel (with its Edit links) and the note
    to co-sign (with a Comment action beside each moment)."""
    supervisor = make_user(email="sup@example.org", role="SUPERVISOR")
    associate = make_user(email="assoc@example.org")
    make_supervision(supervisor, associate, requires_cosignature=True)
    record = make_client(associate, legal_name="Kim Lee")
    session = make_session(
        record,
        associate,
        starts_at=timezone.now() - timedelta(minutes=30),
        status=TherapySession.Status.ATTENDED,
    )
    moments = []
    for tag in ("rupture-withdrawal", "match"):
        event, _ = capture.event_create(
            session=session, tag=tag, minute=4, by=associate
        )
        event.note = payload
        event.save(update_fields=["note"])
        moments.append(event)
    client.force_login(associate)
    for name, edits in (("sessions:session_detail", 0), ("sessions:capture", 2)):
        response = client.get(reverse(name, args=[session.code]))
        assert response.status_code == 200
        html = response.content.decode()
        assert_inert(html, payload, times=2)
        for event in moments:
            assert f'id="event-{event.code}"' in html
        assert html.count('class="edit-link"') == edits

    note = make_note(
        session,
        status=ProgressNote.Status.AWAITING_COSIGNATURE,
        signed_at=timezone.now(),
        signed_by=associate,
    )
    client.force_login(supervisor)
    html = client.get(
        reverse("sessions:note_detail", args=[note.code])
    ).content.decode()
    assert_inert(html, payload, times=2)
    for event in moments:
        assert f"anchor_code={event.code}" in html
        assert f'id="comment-slot-{event.code}"' in html
