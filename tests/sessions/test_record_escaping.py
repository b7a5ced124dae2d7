"""The note editor's widgets come from Django's Jinja2 form renderer (sessions/notes/views/
notes.py): hostile text typed into a goal, a note's sections, its plan and risk details comes
back in the editor as the very characters typed, never as markup, an event handler or an htmx
attribute, whether the editor is opened or returned with an error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.clients.test_table_escaping import HOSTILE, assert_inert
from tests.factories import make_client, make_goal, make_note, make_session


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
