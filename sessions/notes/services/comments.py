"""Supervision threads on a supervisee's progress note.

A comment opens a thread; it may be anchored to one IPNB event of the session (a moment on
the timeline) or to one section of the note, and is shown beside it. The note's author and
their current supervisor reply in the thread and either of them marks it resolved (views
authorize through ipnb_notes/access.py). Threads belong to progress notes only: a process note
is never commented on, anchored to or shown here. Audit events carry codes, never the text."""

from __future__ import annotations

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

import audit
from accounts.models import User
from sessions.capture import kinds
from sessions.models import CommentReply, ProgressNote, SupervisionComment
from sessions.notes.formats import FORMAT_SECTIONS, SECTION_LABELS
from sessions.notes.services.common import NoteError

# The event kinds a comment may be anchored to, by model name (sessions.capture.kinds).
ANCHOR_MODELS = {name: model.__name__ for name, model in kinds.anchor_models().items()}

PLAN = "plan"


def _anchor_model(anchor_type: str):
    from sessions import models

    name = ANCHOR_MODELS.get(anchor_type)
    return getattr(models, name) if name else None


def anchor_exists(note: ProgressNote, anchor_type: str, anchor_code) -> bool:
    model = _anchor_model(anchor_type)
    if model is None:
        return False
    return model.objects.filter(session_id=note.session_id, code=anchor_code).exists()


def anchor_event(note: ProgressNote, anchor_type: str, anchor_code):
    """The event of the note's session a comment would anchor to, or None."""
    model = _anchor_model(anchor_type)
    if model is None or not anchor_code:
        return None
    return model.objects.filter(session_id=note.session_id, code=anchor_code).first()


def section_keys(note: ProgressNote) -> list[str]:
    """The sections of this note a comment may anchor to: its format's sections and the plan."""
    return [*FORMAT_SECTIONS.get(note.format, []), PLAN]


def section_label(key: str) -> str:
    return "Plan" if key == PLAN else SECTION_LABELS.get(key, key)


def anchor_label(comment: SupervisionComment) -> str:
    """What a thread is about, in words, without reading the event ("a rupture event")."""
    if comment.anchor_section:
        return f"the {section_label(comment.anchor_section)} section"
    model = _anchor_model(comment.anchor_type)
    if model is not None:
        return f"a {model._meta.verbose_name}"
    return "the note as a whole"


def comment_add(
    *,
    note: ProgressNote,
    by: User,
    text: str,
    anchor_type: str = "",
    anchor_code=None,
    anchor_section: str = "",
    idempotency_key=None,
    request=None,
) -> SupervisionComment:
    """A supervisor's comment on a supervisee's note, optionally beside one event or one
    section of the note: it opens a thread."""
    if anchor_section and anchor_type:
        raise NoteError("A comment is about one event or one section, not both.")
    if anchor_section and anchor_section not in section_keys(note):
        raise NoteError("That section is not part of this note.")
    if idempotency_key:
        existing = SupervisionComment.objects.filter(
            idempotency_key=idempotency_key, note=note, author=by
        ).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            comment = SupervisionComment.objects.create(
                note=note,
                author=by,
                text=text,
                anchor_type=anchor_type or "",
                anchor_code=anchor_code if anchor_type else None,
                anchor_section=anchor_section or "",
                idempotency_key=idempotency_key,
            )
            audit.record(
                "note.comment",
                actor=by,
                request=request,
                target=note,
                client_code=note.client.code,
                changes={
                    "comment": str(comment.code),
                    "anchor_type": anchor_type or "",
                    "anchor_code": str(anchor_code) if anchor_type else "",
                    "anchor_section": anchor_section or "",
                },
            )
    except IntegrityError:
        existing = SupervisionComment.objects.filter(
            idempotency_key=idempotency_key
        ).first()
        if existing is None:
            raise
        return existing
    return comment


def thread_reply(
    *,
    thread: SupervisionComment,
    by: User,
    text: str,
    idempotency_key=None,
    request=None,
) -> CommentReply:
    """A reply in a thread, by the note's author or their supervisor. A reply to a resolved
    thread opens it again: the conversation goes on."""
    if thread.kind != SupervisionComment.Kind.COMMENT:
        raise NoteError("Only supervision comments take replies.")
    if idempotency_key:
        existing = CommentReply.objects.filter(
            idempotency_key=idempotency_key, thread=thread, author=by
        ).first()
        if existing:
            return existing
    note = thread.note
    try:
        with transaction.atomic():
            reply = CommentReply.objects.create(
                thread=thread, author=by, text=text, idempotency_key=idempotency_key
            )
            reopened = bool(
                SupervisionComment.objects.filter(
                    pk=thread.pk, resolved_at__isnull=False
                ).update(resolved_at=None, resolved_by=None)
            )
            if reopened:
                thread.resolved_at = thread.resolved_by = None
            audit.record(
                "note.comment_reply",
                actor=by,
                request=request,
                target=note,
                client_code=note.client.code,
                changes={
                    "comment": str(thread.code),
                    "reply": str(reply.code),
                    "reopened": reopened,
                },
            )
    except IntegrityError:
        existing = CommentReply.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    return reply


def thread_resolve(
    *, thread: SupervisionComment, by: User, request=None
) -> SupervisionComment:
    """Mark a thread resolved. Resolving a resolved thread changes nothing and records nothing."""
    if thread.kind != SupervisionComment.Kind.COMMENT:
        raise NoteError("Only supervision comments can be resolved.")
    now = timezone.now()
    with transaction.atomic():
        changed = SupervisionComment.objects.filter(
            pk=thread.pk, resolved_at__isnull=True
        ).update(resolved_at=now, resolved_by=by)
        if changed:
            thread.resolved_at, thread.resolved_by = now, by
            note = thread.note
            audit.record(
                "note.comment_resolve",
                actor=by,
                request=request,
                target=note,
                client_code=note.client.code,
                changes={"comment": str(thread.code)},
            )
    return thread


# --- Reading threads ------------------------------------------------------------------------------


def note_replies(note_id: int) -> QuerySet[CommentReply]:
    """Every reply in the note's threads, for one batched read with the comments."""
    return CommentReply.objects.filter(thread__note_id=note_id).select_related("author")


def attach_replies(comments, replies) -> None:
    by_thread = defaultdict(list)
    for reply in replies:
        by_thread[reply.thread_id].append(reply)
    for comment in comments:
        comment.thread_replies = by_thread.get(comment.pk, [])
        comment.about = anchor_label(comment)


def place_threads(comments, *, sections, timeline=None) -> list[SupervisionComment]:
    """Set each section's and each timeline moment's threads (attribute `threads`) and
    return the comments shown nowhere else (the note as a whole, returns, an event no
    longer on the timeline): nothing a supervisor wrote goes unseen."""
    by_section = defaultdict(list)
    by_event = defaultdict(list)
    rest = []
    moments = {item.code for item in timeline or []}
    keys = {s["key"] for s in sections}
    for comment in comments:
        if comment.anchor_section and comment.anchor_section in keys:
            by_section[comment.anchor_section].append(comment)
        elif comment.anchor_type and comment.anchor_code in moments:
            by_event[comment.anchor_code].append(comment)
        else:
            rest.append(comment)
    for section in sections:
        section["threads"] = by_section.get(section["key"], [])
    for item in timeline or []:
        item.threads = by_event.get(item.code, [])
    return rest


def open_threads_annotated(threads: QuerySet[SupervisionComment]):
    """Open threads for a home page: with their note, session, client, author, number of
    replies and who spoke last, in one statement. Both are subqueries: a join to the replies
    would GROUP BY every column of the five tables, costly to compile and to plan."""
    replies = CommentReply.objects.filter(thread=OuterRef("pk"))
    last = replies.order_by("-created_at", "-id")
    count = replies.order_by().values("thread").annotate(n=Count("pk")).values("n")
    return (
        threads.select_related("note__session", "note__client", "author")
        .annotate(
            reply_count=Coalesce(Subquery(count), 0),
            last_speaker_id=Subquery(last.values("author_id")[:1]),
        )
        .order_by("created_at", "id")
    )
