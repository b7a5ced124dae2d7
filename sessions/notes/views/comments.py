"""Supervision threads: the note's author and their current supervisor reply to a comment and
mark it resolved. Without JavaScript each action posts and comes back to the page it was
made on; with htmx the thread is swapped in place."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ipnb_notes import access
from ipnb_notes.http import AuthedRequest, wants_partial
from sessions.notes import services as services
from sessions.notes.forms import ReplyForm
from sessions.notes.views import notes as note_views


def _back(thread, where: str) -> str:
    if where == "note":
        return thread.get_absolute_url()
    return thread.get_thread_url()


def _thread_fragment(request, thread, *, status=200, form=None) -> HttpResponse:
    """One thread, as shown beside its moment or section (the htmx answer). It shows what
    the user just wrote or read in this thread: the write is its audit event."""
    replies = list(services.note_replies(thread.note_id).filter(thread=thread))
    services.attach_replies([thread], replies)
    thread.can_reply = True
    thread.reply_form = form or ReplyForm(thread=thread)
    return render(
        request,
        "sessions/_comment_thread.html",
        {"thread": thread, "back": request.POST.get("back") or "session"},
        status=status,
    )


def _refused(request, thread, form) -> HttpResponse:
    """A reply that cannot be saved: the page again, the message beside the field and the
    text kept."""
    if wants_partial(request):
        # htmx swaps only 2xx answers: the fragment carries the message beside the field
        # (as the capture panel does).
        return _thread_fragment(request, thread, form=form)
    note = thread.note
    reply = (thread.code, form)
    if form.data.get("back") == "note" and not (
        note.is_editable and note.author_id == request.user.pk
    ):
        return note_views._note_page(request, note, status=400, reply=reply)
    return note_views._session_page(
        request, note.session, note, status=400, reply=reply
    )


@require_POST
def comment_reply(request: AuthedRequest, code: UUID) -> HttpResponse:
    thread = access.get_thread(request.user, code)
    form = ReplyForm(request.POST, thread=thread)
    if not form.is_valid():
        return _refused(request, thread, form)
    try:
        services.thread_reply(
            thread=thread,
            by=request.user,
            text=form.cleaned_data["text"],
            idempotency_key=form.cleaned_data.get("idempotency_key"),
            request=request,
        )
    except services.NoteError as exc:
        form.add_error("text", str(exc))
        return _refused(request, thread, form)
    if wants_partial(request):
        return _thread_fragment(request, thread)
    messages.success(request, "Reply added.")
    return redirect(_back(thread, form.cleaned_data.get("back") or "session"))


@require_POST
def comment_resolve(request: AuthedRequest, code: UUID) -> HttpResponse:
    thread = access.get_thread(request.user, code)
    services.thread_resolve(thread=thread, by=request.user, request=request)
    if wants_partial(request):
        return _thread_fragment(request, thread)
    messages.success(request, "Thread marked resolved.")
    back = request.POST.get("back")
    return redirect(_back(thread, back if back in ("note", "session") else "session"))
