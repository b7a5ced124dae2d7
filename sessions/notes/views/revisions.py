"""The pre-sign edit history of a progress note: the list on the note pages, one revision."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

import audit
from ipnb_notes import access
from ipnb_notes.http import AuthedRequest
from sessions.notes import services as services


@require_GET
def note_revision(request: AuthedRequest, code: UUID) -> HttpResponse:
    """One revision's content, before and after the save, read-only; the read is audited."""
    revision = access.get_note_revision(request.user, code)
    note = revision.note
    # The revision's text (the list of revisions shows none): a read of the note.
    audit.read(
        request,
        "note.revision_view",
        client=note.client,
        target=note,
        changes={"revision": str(revision.code), "version": revision.version},
    )
    context = {
        "revision": revision,
        "note": note,
        "session": note.session,
        "client": note.client,
        "rows": services.revision_rows(revision),
    }
    return render(request, "sessions/note_revision.html", context)
