"""Every read of a session or note page and every change is in the audit trail, without PHI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_reads_are_audited_with_client_and_target(
    client, alice, bob, alices_awaiting_note
):
    note = alices_awaiting_note
    client.force_login(bob)
    client.get(reverse("sessions:session_detail", args=[note.session.code]))
    client.get(note.get_absolute_url())
    session_read = AuditEvent.objects.get(action="session.view", actor=bob)
    assert session_read.client_code == note.client.code
    assert session_read.target_code == str(note.session.code)
    assert session_read.changes == {"note": str(note.code), "note_status": note.status}
    note_read = AuditEvent.objects.get(action="note.view", actor=bob)
    assert note_read.target_code == str(note.code)
    assert note_read.client_code == note.client.code


def test_changes_are_audited_without_clinical_text(client, alice, bob, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:note_edit", args=[alices_draft.session.code])
    client.post(
        url,
        {
            "version": 1,
            "format": "SOAP",
            "section_subjective": "UNIQUE-PHI-TEXT about the client",
            "plan": "UNIQUE-PHI-PLAN",
        },
    )
    client.post(
        reverse("sessions:note_sign", args=[alices_draft.session.code]),
        {
            "version": 2,
            "format": "SOAP",
            "section_subjective": "UNIQUE-PHI-TEXT about the client",
            "plan": "UNIQUE-PHI-PLAN",
            "attest": "on",
        },
    )
    client.force_login(bob)
    client.post(
        reverse("sessions:note_return", args=[alices_draft.code]),
        {"comment": "UNIQUE-PHI-COMMENT"},
    )
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    for action in ("note.save", "note.sign", "note.return"):
        assert action in actions
    for changes in AuditEvent.objects.values_list("changes", flat=True):
        assert "UNIQUE-PHI" not in str(changes)
    save = AuditEvent.objects.filter(action="note.save").first()
    assert "sections" in save.changes["fields"]
