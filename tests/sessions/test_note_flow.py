"""The progress note from first open to co-signature, through the views."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sessions.models import NoteSignature, ProgressNote, SupervisionComment

pytestmark = pytest.mark.django_db


def editor_post(note, **overrides):
    data = {
        "version": note.version,
        "format": "SOAP",
        "section_subjective": "Felt steadier at work.",
        "section_objective": "Calm affect, steady eye contact.",
        "section_assessment": "Progress toward goal 1.",
        "plan": "Practise the breathing exercise daily.",
        "risk_suicidal_ideation": "DENIED",
        "risk_self_harm": "NONE",
        "risk_harm_to_others": "NONE",
        "risk_details": "",
        "next_session_on": "2026-03-09",
    }
    data.update(overrides)
    return data


def test_opening_shows_a_start_button_and_starting_creates_one_draft(
    client, alice, alices_session
):
    client.force_login(alice)
    url = reverse("sessions:note_edit", args=[alices_session.code])
    page = client.get(url)
    assert page.status_code == 200
    assert "Start the note" in page.content.decode()
    assert not ProgressNote.objects.filter(session=alices_session).exists()
    started = client.post(url, {"action": "start"})
    assert started.status_code == 302 and started["Location"] == url
    # Started twice (two tabs, a double click): still one draft, and the editor opens.
    assert client.post(url, {"action": "start"})["Location"] == url
    assert client.get(url).status_code == 200
    note = ProgressNote.objects.get(session=alices_session)
    assert note.status == ProgressNote.Status.DRAFT
    assert note.author == alice
    assert (
        AuditEvent.objects.filter(
            action="note.create", target_code=str(note.code)
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(
        action="note.view", client_code=alices_session.client.code
    ).exists()


def test_autosave_saves_and_answers_the_new_version(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_autosave", args=[alices_draft.session.code])
    response = client.post(
        url, editor_post(alices_draft), headers={"X-IPNB-Background": "autosave"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["message"].startswith("Saved ")
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    assert note.version == 2
    assert note.sections == {
        "subjective": "Felt steadier at work.",
        "objective": "Calm affect, steady eye contact.",
        "assessment": "Progress toward goal 1.",
    }
    assert note.plan == "Practise the breathing exercise daily."
    assert AuditEvent.objects.filter(action="note.autosave").count() == 1


def test_second_autosave_with_the_same_version_is_a_visible_conflict(
    client, alice, alices_draft
):
    client.force_login(alice)
    url = reverse("sessions:note_autosave", args=[alices_draft.session.code])
    first = client.post(
        url,
        editor_post(alices_draft, section_subjective="Text from the laptop."),
        headers={"X-IPNB-Background": "autosave"},
    )
    assert first.status_code == 200
    second = client.post(
        url,
        editor_post(alices_draft, section_subjective="Text from the tablet."),
        headers={"X-IPNB-Background": "autosave"},
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "Text from the laptop." in html
    assert "Text from the tablet." in html
    assert "<html" not in html
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    assert note.sections["subjective"] == "Text from the laptop."


def test_plain_save_conflict_keeps_both_texts_on_a_409_page(
    client, alice, alices_draft
):
    client.force_login(alice)
    url = reverse("sessions:note_edit", args=[alices_draft.session.code])
    assert client.post(url, editor_post(alices_draft, plan="Plan A")).status_code == 302
    response = client.post(url, editor_post(alices_draft, plan="Plan B"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Plan A" in html and "Plan B" in html
    # Saving again from the conflict page is the explicit choice to keep one's own text.
    assert 'name="version" value="2"' in html


def test_switching_format_keeps_shared_sections(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_edit", args=[alices_draft.session.code])
    client.post(url, editor_post(alices_draft))
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    client.post(
        url,
        {
            **editor_post(note),
            "format": "DAP",
            "section_data": "Said and observed.",
        },
    )
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    assert note.format == "DAP"
    assert note.sections == {
        "data": "Said and observed.",
        "assessment": "Progress toward goal 1.",
    }
    assert note.plan == "Practise the breathing exercise daily."


def test_risk_present_without_details_cannot_be_signed(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_sign", args=[alices_draft.session.code])
    response = client.post(
        url,
        editor_post(alices_draft, risk_self_harm="PRESENT", attest="on"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "describe the plan and follow-up" in html
    assert "Felt steadier at work." in html
    assert ProgressNote.objects.get(pk=alices_draft.pk).status == "DRAFT"


def test_signing_needs_the_attestation(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_sign", args=[alices_draft.session.code])
    response = client.post(url, editor_post(alices_draft))
    assert response.status_code == 400
    assert ProgressNote.objects.get(pk=alices_draft.pk).status == "DRAFT"


def test_sign_return_revise_cosign(client, alice, bob, alices_draft):
    client.force_login(alice)
    sign_url = reverse("sessions:note_sign", args=[alices_draft.session.code])
    response = client.post(sign_url, editor_post(alices_draft, attest="on"))
    assert response.status_code == 302
    note = ProgressNote.objects.get(pk=alices_draft.pk)
    assert note.status == ProgressNote.Status.AWAITING_COSIGNATURE
    assert note.signed_by == alice and note.signed_at
    author_sig = NoteSignature.objects.get(note=note, kind="AUTHOR")
    assert "accurately documents the service provided on March 2, 2026" in (
        author_sig.attestation
    )
    assert len(author_sig.content_hash) == 64

    client.force_login(bob)
    home = client.get("/")
    assert str(note.code) in home.content.decode()
    response = client.post(
        reverse("sessions:note_return", args=[note.code]), {"comment": ""}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("sessions:note_return", args=[note.code]),
        {"comment": "Please name the intervention in the plan."},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == ProgressNote.Status.RETURNED
    assert SupervisionComment.objects.get(note=note).kind == "RETURN"

    client.force_login(alice)
    home = client.get("/").content.decode()
    assert "Needs revision" in home
    assert "Please name the intervention in the plan." in home
    response = client.post(
        sign_url,
        editor_post(note, plan="Co-regulation practice; breathing daily.", attest="on"),
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == ProgressNote.Status.AWAITING_COSIGNATURE

    client.force_login(bob)
    response = client.post(
        reverse("sessions:note_cosign", args=[note.code]), {"attest": "on"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == ProgressNote.Status.SIGNED
    assert note.cosigned_by == bob
    kinds = list(note.signatures.values_list("kind", flat=True))
    assert kinds == ["AUTHOR", "RETURN", "AUTHOR", "COSIGN"]
    assert (
        note.signatures.last().content_hash
        == note.signatures.filter(kind="AUTHOR").last().content_hash
    )


def test_addendum_is_signed_and_idempotent(client, alice, alices_signed_note):
    client.force_login(alice)
    url = reverse("sessions:addendum_create", args=[alices_signed_note.code])
    data = {
        "text": "Client called: the next session moves to Thursday.",
        "attest": "on",
        "idempotency_key": "6f1c1f36-2a5f-4f0e-9d7a-3f1c2b9a0c11",
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert alices_signed_note.addenda.count() == 1
    page = client.get(alices_signed_note.get_absolute_url()).content.decode()
    assert "the next session moves to Thursday" in page


def test_a_note_signed_long_after_the_session_is_marked_a_late_entry(
    client, alice, alices_signed_note
):
    # The session was on March 2, 2026; the note is signed "now", long after.
    client.force_login(alice)
    html = client.get(alices_signed_note.get_absolute_url()).content.decode()
    assert "Late entry" in html
