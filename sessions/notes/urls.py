"""Sessions, progress notes, addenda, co-signature, process notes."""

from __future__ import annotations

from django.urls import path

from sessions.notes.views import comments, notes, revisions

urlpatterns = [
    # /sessions/<code>/
    path("sessions/<uuid:code>/", notes.session_detail, name="session_detail"),
    path("sessions/<uuid:code>/note/", notes.note_edit, name="note_edit"),
    path(
        "sessions/<uuid:code>/note/autosave/",
        notes.note_autosave,
        name="note_autosave",
    ),
    path("sessions/<uuid:code>/note/sign/", notes.note_sign, name="note_sign"),
    path(
        "sessions/<uuid:code>/note/last-plan/",
        notes.note_last_plan,
        name="note_last_plan",
    ),
    path("sessions/<uuid:code>/process-note/", notes.process_note, name="process_note"),
    path(
        "sessions/<uuid:code>/process-note/autosave/",
        notes.process_note_autosave,
        name="process_note_autosave",
    ),
    # /notes/<code>/
    path("notes/<uuid:code>/", notes.note_detail, name="note_detail"),
    path("notes/<uuid:code>/cosign/", notes.note_cosign, name="note_cosign"),
    path("notes/<uuid:code>/return/", notes.note_return, name="note_return"),
    path("notes/<uuid:code>/comments/", notes.note_comment, name="note_comment"),
    path("notes/<uuid:code>/addenda/", notes.addendum_create, name="addendum_create"),
    # /comments/<code>/: a supervision thread (the comment that opened it)
    path("comments/<uuid:code>/replies/", comments.comment_reply, name="comment_reply"),
    path(
        "comments/<uuid:code>/resolve/",
        comments.comment_resolve,
        name="comment_resolve",
    ),
    # /revisions/<code>/: one save of a note before it was signed
    path("revisions/<uuid:code>/", revisions.note_revision, name="note_revision"),
]
