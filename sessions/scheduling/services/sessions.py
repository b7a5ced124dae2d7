"""Sessions: schedule or log one, change its details, mark a past one in one click."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.models import User
from sessions.models import ProgressNote, TherapySession
from sessions.notes.services.common import NoteError
from sessions.scheduling.vocabulary import STATUS_FOR

# What the home's one-click buttons may set on a past session still "Scheduled", and the
# cancellation reason each records (None: the reason is not known from one click).
MARKS = {
    TherapySession.Status.ATTENDED: None,
    TherapySession.Status.NO_SHOW: "NO_SHOW",
    TherapySession.Status.CANCELLED: None,
}


def session_create(
    *,
    client,
    by: User,
    starts_at,
    duration_minutes: int,
    modality: str,
    setting: str,
    status: str,
    service_code: str = "",
    idempotency_key=None,
    request=None,
) -> tuple[TherapySession, bool]:
    """Schedule or log a session of a client on `by`'s caseload. A repeated idempotency key
    returns the session the first submit created, so a double submit creates one session."""
    if idempotency_key:
        existing = TherapySession.objects.filter(
            idempotency_key=idempotency_key, therapist=by, client=client
        ).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            session = TherapySession.objects.create(
                client=client,
                therapist=by,
                starts_at=starts_at,
                duration_minutes=duration_minutes,
                modality=modality,
                setting=setting,
                status=status,
                service_code=service_code,
                idempotency_key=idempotency_key,
            )
            audit.record(
                "session.create",
                actor=by,
                request=request,
                target=session,
                client_code=client.code,
                changes={
                    "starts_at": [None, starts_at.isoformat()],
                    "status": [None, status],
                    "duration_minutes": [None, duration_minutes],
                },
            )
    except IntegrityError:
        # Two submits with one key raced; the other one created the session.
        existing = TherapySession.objects.filter(
            idempotency_key=idempotency_key, therapist=by, client=client
        ).first()
        if existing is None:
            raise
        return existing, False
    return session, True


SESSION_FIELDS = [
    "starts_at",
    "duration_minutes",
    "modality",
    "setting",
    "status",
    "service_code",
]


def session_update(*, session: TherapySession, by: User, data: dict, request=None):
    """Change a session's details. A session with a note stays attended, and the details of a
    session whose note is signed are part of the signed record: corrections go in an addendum."""
    note = ProgressNote.objects.filter(session=session).only("status").first()
    if note is not None:
        if data.get("status", session.status) != TherapySession.Status.ATTENDED:
            raise NoteError(
                "This session has a progress note, so it stays marked as attended."
            )
        if not note.is_editable and any(
            data.get(f, getattr(session, f)) != getattr(session, f)
            for f in ("starts_at", "duration_minutes")
        ):
            raise NoteError(
                "The note of this session is signed: correct its date, time or duration "
                "with an addendum."
            )
    changes = {}
    for field in SESSION_FIELDS:
        if field in data and data[field] != getattr(session, field):
            old = getattr(session, field)
            changes[field] = [
                old.isoformat() if hasattr(old, "isoformat") else old,
                data[field].isoformat()
                if hasattr(data[field], "isoformat")
                else data[field],
            ]
            setattr(session, field, data[field])
    if not changes:
        return session
    fields = [*changes, "updated_at"]
    if (
        session.cancel_reason
        and STATUS_FOR.get(session.cancel_reason) != session.status
    ):
        # A reason says why the session did not take place: it goes with that status.
        changes["cancel_reason"] = [session.cancel_reason, ""]
        session.cancel_reason = ""
        fields.append("cancel_reason")
    with transaction.atomic():
        session.save(update_fields=fields)
        audit.record(
            "session.update",
            actor=by,
            request=request,
            target=session,
            client_code=session.client.code,
            changes=changes,
        )
    return session


def session_mark(*, session: TherapySession, by: User, status: str, request=None):
    """Record what became of a past session still "Scheduled" (the home's one-click
    Attended / No-show / Cancelled). A session no longer scheduled, or not yet begun, is
    refused with a message."""
    if status not in MARKS:
        raise NoteError("Choose attended, no-show or cancelled.")
    with transaction.atomic():
        locked = TherapySession.objects.select_for_update().get(pk=session.pk)
        if locked.status != TherapySession.Status.SCHEDULED:
            raise NoteError(
                f"This session is already marked {locked.get_status_display().lower()}."
            )
        if locked.starts_at > timezone.now():
            raise NoteError("This session has not started yet.")
        locked.status = status
        locked.cancel_reason = MARKS[status] or ""
        locked.save(update_fields=["status", "cancel_reason", "updated_at"])
        audit.record(
            "session.mark",
            actor=by,
            request=request,
            target=locked,
            client_code=session.client.code,
            changes={"status": [TherapySession.Status.SCHEDULED, status]},
        )
    return locked
