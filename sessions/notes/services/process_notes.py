"""Psychotherapy (process) notes: the author's own, kept apart from the record."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import User
from ipnb_notes.fields import seal
from sessions.models import PsychotherapyNote, TherapySession
from sessions.notes.services.common import VersionConflict


def process_note_open(*, session: TherapySession, by: User) -> PsychotherapyNote:
    """The author's own process note of a session, created empty on first open."""
    pnote, _ = PsychotherapyNote.objects.get_or_create(session=session, author=by)
    return pnote


def process_note_save(
    *,
    pnote: PsychotherapyNote,
    by: User,
    text: str,
    version: int,
    request=None,
    autosave: bool = False,
) -> PsychotherapyNote:
    """Save the author's process note if unchanged since `version` (else VersionConflict)."""
    with transaction.atomic():
        updated = PsychotherapyNote.objects.filter(
            pk=pnote.pk, author=by, version=version
        ).update(
            text=seal(pnote, "text", text),
            version=version + 1,
            updated_at=timezone.now(),
        )
        if not updated:
            raise VersionConflict(PsychotherapyNote.objects.get(pk=pnote.pk))
        audit.record(
            "process_note.autosave" if autosave else "process_note.save",
            actor=by,
            request=request,
            target=pnote,
            client_code=pnote.session.client.code,
            changes={"version": [version, version + 1]},
        )
    return PsychotherapyNote.objects.get(pk=pnote.pk)
