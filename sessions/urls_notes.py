"""Sessions, progress notes, addenda, co-signature, process notes."""

from __future__ import annotations

from django.urls import path

from sessions.views import notes

urlpatterns = [
    path(
        "clients/<uuid:client_code>/sessions/new/",
        notes.session_create,
        name="session_create",
    ),
    path("sessions/<uuid:code>/", notes.session_detail, name="session_detail"),
    path("sessions/<uuid:code>/note/", notes.note_edit, name="note_edit"),
    path("sessions/<uuid:code>/process-note/", notes.process_note, name="process_note"),
    path("notes/<uuid:code>/", notes.note_detail, name="note_detail"),
]
