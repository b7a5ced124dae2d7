"""Sessions, progress notes, signing, addenda, co-signature and process notes.

Placeholders until the clinical record lands: each authorizes, then answers 404.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from ipnb_notes import access
from ipnb_notes.http import AuthedRequest


@require_GET
def session_create(request: AuthedRequest, client_code: UUID) -> HttpResponse:
    access.get_client(request.user, client_code, for_update=True)
    raise Http404


@require_GET
def session_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    access.get_session(request.user, code)
    raise Http404


@require_GET
def note_edit(request: AuthedRequest, code: UUID) -> HttpResponse:
    access.get_session(request.user, code, for_update=True)
    raise Http404


@require_GET
def note_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    access.get_note(request.user, code)
    raise Http404


@require_GET
def process_note(request: AuthedRequest, code: UUID) -> HttpResponse:
    access.get_session(request.user, code, for_update=True)
    raise Http404
