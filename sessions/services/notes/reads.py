"""Audit records of reads: the note, the session page, the process note."""

from __future__ import annotations

import audit
from accounts.models import User
from sessions.models import ProgressNote, PsychotherapyNote, TherapySession


def note_view_audit(*, note: ProgressNote, by: User, request=None) -> None:
    audit.record(
        "note.view",
        actor=by,
        request=request,
        target=note,
        client_code=note.client.code,
    )


def session_view_audit(
    *, session: TherapySession, by: User, request=None, note=None
) -> None:
    """Record a read of the session page, and of the note shown on it (code and status)."""
    audit.record(
        "session.view",
        actor=by,
        request=request,
        target=session,
        client_code=session.client.code,
        changes={"note": str(note.code), "note_status": note.status} if note else {},
    )


def process_note_view_audit(
    *, pnote: PsychotherapyNote, by: User, request=None
) -> None:
    audit.record(
        "process_note.view",
        actor=by,
        request=request,
        target=pnote,
        client_code=pnote.session.client.code,
    )
