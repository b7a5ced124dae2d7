"""Bad input in the note editor: field errors, what was typed kept, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sessions.models import ProgressNote

pytestmark = pytest.mark.django_db


def data(note, **extra):
    return {
        "version": note.version,
        "format": "BIRP",
        "section_behavior": "Arrived early, restless.",
        "section_intervention": "Grounding, co-regulation.",
        "section_response": "Settled within ten minutes.",
        "plan": "Repeat grounding at home.",
        **extra,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("next_session_on", "2026-13-01", "Enter a valid date"),
        ("format", "SOAPY", "Select a valid choice"),
        ("interventions", "TELEPATHY", "Select a valid choice"),
        ("risk_self_harm", "MAYBE", "Select a valid choice"),
        ("goals_addressed", "999999", "Select a valid choice"),
    ],
)
def test_save_draft_keeps_text_and_marks_the_bad_field(
    client, alice, alices_draft, field, value, message
):
    client.force_login(alice)
    url = reverse("sessions:note_edit", args=[alices_draft.session.code])
    response = client.post(url, data(alices_draft, **{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Arrived early, restless." in html
    # The valid fields were saved all the same: nothing typed is lost.
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    assert note.plan == "Repeat grounding at home."


def test_autosave_with_a_bad_date_saves_the_rest_and_reports_it(
    client, alice, alices_draft
):
    client.force_login(alice)
    url = reverse("sessions:note_autosave", args=[alices_draft.session.code])
    response = client.post(
        url,
        data(alices_draft, next_session_on="tomorrow"),
        headers={"X-IPNB-Background": "autosave"},
    )
    assert response.status_code == 200
    assert "next_session_on" in response.json()["errors"]
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    assert note.format == "BIRP"
    assert note.sections["behavior"] == "Arrived early, restless."


def test_autosave_without_a_version_is_a_400_not_a_500(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_autosave", args=[alices_draft.session.code])
    response = client.post(
        url, {"format": "SOAP"}, headers={"X-IPNB-Background": "autosave"}
    )
    assert response.status_code == 400


def test_signing_an_empty_note_is_refused(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_sign", args=[alices_draft.session.code])
    response = client.post(
        url, {"version": alices_draft.version, "format": "SOAP", "attest": "on"}
    )
    assert response.status_code == 400
    assert "at least one section" in response.content.decode()


def test_risk_present_warns_on_save_and_blocks_signing_until_described(
    client, alice, bob, alices_draft
):
    client.force_login(alice)
    url = reverse("sessions:note_autosave", args=[alices_draft.session.code])
    response = client.post(
        url,
        data(alices_draft, risk_suicidal_ideation="PRESENT"),
        headers={"X-IPNB-Background": "autosave"},
    )
    assert "required before signing" in response.json()["warning"]
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    sign = reverse("sessions:note_sign", args=[note.session.code])
    response = client.post(
        sign,
        data(
            note,
            risk_suicidal_ideation="PRESENT",
            risk_details="Safety plan reviewed; call on Friday.",
            attest="on",
        ),
    )
    assert response.status_code == 302
    assert ProgressNote.objects.get(pk=note.pk).status == "AWAITING_COSIGNATURE"


def test_load_last_note_fills_the_plan_from_the_previous_signed_note(
    client, alice, alices_signed_note, second_session
):
    client.force_login(alice)
    edit = reverse("sessions:note_edit", args=[second_session.code])
    client.post(edit, {"action": "start"})
    response = client.get(
        reverse("sessions:note_last_plan", args=[second_session.code])
    )
    assert response.json() == {"plan": "Continue weekly."}
    note = ProgressNote.objects.get(session=second_session)
    # Without JavaScript the button posts the form and gets it back with the plan filled in.
    response = client.post(
        edit,
        {
            "version": note.version,
            "format": "SOAP",
            "section_subjective": "Typed.",
            "action": "load_last",
        },
    )
    html = response.content.decode()
    assert "Continue weekly." in html and "Typed." in html


def test_comment_anchor_must_be_an_event_of_the_session(
    client, bob, alices_awaiting_note
):
    client.force_login(bob)
    url = reverse("sessions:note_comment", args=[alices_awaiting_note.code])
    response = client.post(
        url,
        {
            "text": "About that rupture.",
            "anchor_type": "rupture",
            "anchor_code": "00000000-0000-0000-0000-000000000042",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "not part of this session" in html
    assert "About that rupture." in html
    response = client.post(
        url, {"text": "About that rupture.", "anchor_type": "telepathy"}
    )
    assert response.status_code == 400


def test_returning_without_a_comment_is_a_field_error(
    client, bob, alices_awaiting_note
):
    client.force_login(bob)
    response = client.post(
        reverse("sessions:note_return", args=[alices_awaiting_note.code]),
        {"comment": "   "},
    )
    assert response.status_code == 400
    assert ProgressNote.objects.get(pk=alices_awaiting_note.pk).status == (
        "AWAITING_COSIGNATURE"
    )
