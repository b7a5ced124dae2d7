"""Progress notes before signing: open the draft, save it, load the last plan."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.models import User
from ipnb_notes.fields import seal_fields
from sessions.models import NoteRevision, ProgressNote, TherapySession
from sessions.notes.formats import ALL_SECTIONS, FORMAT_SECTIONS
from sessions.notes.services.common import NoteError, VersionConflict
from sessions.notes.services.content import CONTENT_FIELDS, note_snapshot
from sessions.notes.services.revisions import revision_append


def note_open(*, session: TherapySession, by: User, request=None) -> ProgressNote:
    """The session's progress note, created as an empty draft on first open."""
    if session.status != TherapySession.Status.ATTENDED:
        raise NoteError("Only an attended session has a progress note.")
    note = ProgressNote.objects.filter(session=session).first()
    if note is not None:
        return note
    last = (
        ProgressNote.objects.filter(client=session.client, author=by)
        .exclude(session=session)
        .order_by("-created_at")
        .values_list("format", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            note = ProgressNote.objects.create(
                session=session,
                client=session.client,
                author=by,
                format=last or ProgressNote.Format.SOAP,
                sections={},
            )
            audit.record(
                "note.create",
                actor=by,
                request=request,
                target=note,
                client_code=session.client.code,
                changes={"session": str(session.code), "format": note.format},
            )
    except IntegrityError:
        # Opened twice at once (two tabs): the first open created it.
        note = ProgressNote.objects.get(session=session)
    return note


def _note_fields(data: dict) -> dict:
    fields = {}
    fmt = data.get("format")
    if fmt:
        fields["format"] = fmt
    if "sections" in data:
        keys = FORMAT_SECTIONS.get(fmt or data.get("_current_format"), ALL_SECTIONS)
        fields["sections"] = {
            k: data["sections"].get(k, "") for k in keys if data["sections"].get(k)
        }
    for name in CONTENT_FIELDS:
        if name in ("format", "sections"):
            continue
        if name in data:
            value = data[name]
            if name == "interventions":
                value = list(value or [])
            elif name != "next_session_on" and value is None:
                value = ""
            fields[name] = value
    return fields


def note_save(
    *,
    note: ProgressNote,
    by: User,
    data: dict,
    version: int,
    request=None,
    autosave: bool = False,
    signing: bool = False,
) -> ProgressNote:
    """Save a draft (or returned) note if nobody saved it since `version`; return it reloaded.

    The conditional UPDATE (WHERE version = loaded version) makes the second of two
    concurrent saves fail visibly with VersionConflict instead of overwriting the first.
    A save that changes the content appends a revision (the pre-sign edit history); pass
    signing=True for the save made as the author signs.
    """
    data = {**data, "_current_format": note.format}
    fields = _note_fields(data)
    with transaction.atomic():
        # Locked so that the content read here is the one this save replaces.
        previous = note_snapshot(
            ProgressNote.objects.select_for_update().get(pk=note.pk)
        )
        updated = ProgressNote.objects.filter(
            pk=note.pk,
            version=version,
            status__in=[ProgressNote.Status.DRAFT, ProgressNote.Status.RETURNED],
        ).update(
            **seal_fields(note, fields), version=version + 1, updated_at=timezone.now()
        )
        if not updated:
            current = ProgressNote.objects.select_related(
                "session", "client", "author"
            ).get(pk=note.pk)
            if not current.is_editable:
                raise NoteError("This note is signed and can no longer be edited.")
            raise VersionConflict(current)
        if "goals_addressed" in data:
            note.goals_addressed.set(data["goals_addressed"])
        saved = ProgressNote.objects.select_related("session", "client", "author").get(
            pk=note.pk
        )
        if signing:
            kind = NoteRevision.Kind.SIGN
        else:
            kind = NoteRevision.Kind.AUTOSAVE if autosave else NoteRevision.Kind.SAVE
        revision = revision_append(
            note=saved,
            by=by,
            kind=kind,
            version=version + 1,
            previous=previous,
            new=note_snapshot(saved),
        )
        audit.record(
            "note.autosave" if autosave else "note.save",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={
                "version": [version, version + 1],
                "fields": sorted(
                    [
                        *fields,
                        *(["goals_addressed"] if "goals_addressed" in data else []),
                    ]
                ),
                "revision": str(revision.code) if revision else None,
            },
        )
    return saved


def last_signed_plan(*, note: ProgressNote) -> str:
    """The plan of the client's previous signed note (the starting point for this one)."""
    previous = (
        ProgressNote.objects.filter(
            client_id=note.client_id,
            status__in=[
                ProgressNote.Status.SIGNED,
                ProgressNote.Status.AWAITING_COSIGNATURE,
            ],
            session__starts_at__lt=note.session.starts_at,
        )
        .order_by("-session__starts_at")
        .only("plan")
        .first()
    )
    return previous.plan if previous else ""
