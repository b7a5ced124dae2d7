"""Events: record a tag, repair a rupture, edit inline, undo the last one."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from sessions.capture import kinds
from sessions.capture.services.common import (
    REUSED_KEY,
    CaptureError,
    audit_event,
    existing_event,
    rollup,
)
from sessions.capture.services.rules import (
    check_minute,
    check_repair_order,
    check_writable,
    clock_minute,
)
from sessions.models import RepairEvent, RuptureEvent, TherapySession


def event_create(
    *,
    session: TherapySession,
    tag: str,
    minute: int | None = None,
    idempotency_key: uuid.UUID | None = None,
    by,
    request=None,
):
    """Record one panel button's tag (sessions.capture.kinds) at `minute` (the clock when None).

    Returns (event, created)."""
    if tag not in kinds.BUTTONS:
        raise CaptureError("Unknown tag.", field="tag")
    kind, button = kinds.BUTTONS[tag]
    model = kind.model
    existing = existing_event(model, idempotency_key, session)
    if existing is not None:
        return existing, False
    check_writable(session)
    minute = clock_minute(session) if minute is None else minute
    check_minute(session, minute)
    event = model(
        session=session,
        minute=minute,
        created_by=by,
        idempotency_key=idempotency_key,
        **button.values,
    )
    if kind.fill:
        kind.fill(event)
    try:
        with transaction.atomic():
            event.save()
            audit_event(
                f"{kind.name}.create",
                event=event,
                session=session,
                by=by,
                request=request,
                changes={"minute": [None, minute], "tag": [None, tag]},
            )
    except IntegrityError:
        # The same key raced in from a second request: the first one won.
        existing = existing_event(model, idempotency_key, session)
        if existing is None:
            raise CaptureError(REUSED_KEY) from None
        return existing, False
    rollup(session)
    return event, True


def open_ruptures_among(ruptures):
    """Of `ruptures` (a RuptureEvent queryset), the ones no repair has resolved, newest first.
    What "open" means, for one client's record and for a clinician's caseload alike.

    The rupture's own flag, kept by the repairs' trigger, read through `rupture_open_idx`:
    Django writes `NOT "repaired"` into the statement's text (no bound parameter), so the
    generic plan of a prepared statement can use the partial index."""
    return (
        ruptures.filter(repaired=False)
        .select_related("session")
        .order_by("-session__starts_at", "-minute", "-created_at")
    )


def open_ruptures(client, *, exclude_after: TherapySession | None = None):
    """The client's ruptures that no repair has resolved, newest first."""
    qs = open_ruptures_among(RuptureEvent.objects.filter(client=client))
    if exclude_after is not None:
        qs = qs.filter(session__starts_at__lte=exclude_after.starts_at)
    return qs


def repair_create(
    *,
    session: TherapySession,
    rupture: RuptureEvent | None = None,
    minute: int | None = None,
    strategies: list[str] | None = None,
    extent: int | None = None,
    outcomes: list[str] | None = None,
    note: str = "",
    idempotency_key: uuid.UUID | None = None,
    by,
    request=None,
):
    """Repair `rupture` (the client's most recent open one when None) in `session`.

    Returns (repair, created)."""
    existing = existing_event(RepairEvent, idempotency_key, session)
    if existing is not None:
        return existing, False
    check_writable(session)
    minute = clock_minute(session) if minute is None else minute
    check_minute(session, minute)
    if rupture is None:
        rupture = open_ruptures(session.client, exclude_after=session).first()
        if rupture is None:
            raise CaptureError("There is no open rupture to repair.", field="rupture")
    if rupture.client_id != session.client_id:
        raise CaptureError(
            "That rupture belongs to another client's record.", field="rupture"
        )
    if RepairEvent.objects.filter(rupture=rupture).exists():
        raise CaptureError("That rupture has already been repaired.", field="rupture")
    check_repair_order(rupture, session, minute)
    repair = RepairEvent(
        session=session,
        rupture=rupture,
        minute=minute,
        strategies=strategies or [],
        extent=extent,
        outcomes=outcomes or [],
        note=note,
        created_by=by,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            repair.save()
            audit_event(
                "repair.create",
                event=repair,
                session=session,
                by=by,
                request=request,
                changes={
                    "minute": [None, minute],
                    "rupture": [None, str(rupture.code)],
                },
            )
    except IntegrityError:
        existing = existing_event(RepairEvent, idempotency_key, session)
        if existing is not None:
            return existing, False
        if (
            idempotency_key
            and RepairEvent.objects.filter(idempotency_key=idempotency_key).exists()
        ):
            raise CaptureError(REUSED_KEY) from None
        raise CaptureError(
            "That rupture has already been repaired.", field="rupture"
        ) from None
    rollup(session)
    return repair, True


# Fields an inline edit may change, per kind (derived from sessions.capture.kinds).
EDITABLE = {k.name: list(k.editable) for k in kinds.KINDS}


def event_update(*, event, data: dict, by, request=None):
    """Change an event's details (inline edit). Audits the names of the changed fields."""
    session = event.session
    kind = kinds.kind_of(event)
    check_writable(session)
    minute = data.get("minute", event.minute)
    check_minute(session, minute)
    kind.check_edit(event, {**data, "minute": minute})
    changed = []
    for name in kind.editable:
        if name in data and getattr(event, name) != data[name]:
            setattr(event, name, data[name])
            changed.append(name)
    if kind.fill:
        kind.fill(event)
    if not changed:
        return event
    with transaction.atomic():
        event.save()
        audit_event(
            f"{kind.name}.update",
            event=event,
            session=session,
            by=by,
            request=request,
            changes={"fields": sorted(changed)},
        )
    rollup(session)
    return event


def last_event(session: TherapySession, user):
    """The user's most recently created event of this session, or None."""
    candidates = [
        model.objects.filter(session=session, created_by=user)
        .order_by("-created_at", "-id")
        .first()
        for model in (k.model for k in kinds.KINDS)
    ]
    candidates = [c for c in candidates if c is not None]
    return max(candidates, key=lambda e: (e.created_at, e.id)) if candidates else None


def undo_token(event) -> str:
    """Names the event an undo button was drawn for ("kind:code"), or "" when none."""
    return f"{kinds.kind_of(event).name}:{event.code}" if event is not None else ""


def event_undo(
    *, session: TherapySession, by, request=None, expected: str | None = None
):
    """Delete the user's most recent event of this session (audited). Returns it, or None.

    `expected` (from a page without JavaScript) names the event the button was drawn for: a
    form sent twice, or again from a stale page, then removes nothing more.
    """
    check_writable(session)
    event = last_event(session, by)
    if expected is not None and undo_token(event) != expected:
        raise CaptureError(
            "that tag was already undone or a newer one was added; nothing was removed"
        )
    if event is None:
        return None
    kind = kinds.kind_of(event).name
    with transaction.atomic():
        audit_event(
            f"{kind}.undo",
            event=event,
            session=session,
            by=by,
            request=request,
            changes={"minute": [event.minute, None]},
        )
        event.delete()
    rollup(session)
    return event


def get_event(session: TherapySession, kind: str, code) -> object:
    """An event of this session by kind and code (the session was authorized by the caller)."""
    from django.http import Http404

    registered = kinds.BY_NAME.get(kind)
    if registered is None:
        raise Http404
    qs = registered.model.objects.filter(session=session, code=code)
    if registered.related:
        qs = qs.select_related(*registered.related)
    event = qs.first()
    if event is None:
        raise Http404
    event.session = session
    return event
