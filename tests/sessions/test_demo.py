"""The demo practice's sessions and notes: varied, consistent with the real services, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from sessions.models import (
    Addendum,
    NoteSignature,
    ProgressNote,
    SupervisionComment,
    TherapySession,
)
from sessions.notes import services as services

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_six_months_of_notes_once():
    call_command("seed_demo", stdout=StringIO())
    sessions = TherapySession.objects.count()
    notes = ProgressNote.objects.count()
    assert sessions > 500
    statuses = set(TherapySession.objects.values_list("status", flat=True))
    assert statuses >= {"ATTENDED", "CANCELLED", "NO_SHOW", "SCHEDULED"}
    assert set(ProgressNote.objects.values_list("format", flat=True)) == {
        f.value for f in ProgressNote.Format
    }
    note_statuses = set(ProgressNote.objects.values_list("status", flat=True))
    assert note_statuses == {"DRAFT", "SIGNED", "AWAITING_COSIGNATURE", "RETURNED"}
    assert Addendum.objects.exists()
    assert SupervisionComment.objects.filter(kind="RETURN").exists()
    # Bulk-inserted signatures carry the hash the signing service computes.
    for note in ProgressNote.objects.filter(status="SIGNED").select_related(
        "session", "client", "author"
    )[:25]:
        sig = NoteSignature.objects.filter(note=note, kind="AUTHOR").last()
        assert sig.content_hash == services.note_content_hash(note)

    call_command("seed_demo", stdout=StringIO())
    assert TherapySession.objects.count() == sessions
    assert ProgressNote.objects.count() == notes
