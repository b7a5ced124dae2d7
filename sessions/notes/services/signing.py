"""Signing: the author signs; a supervisor co-signs or returns the note for revision."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

import audit
from accounts.models import Supervision, User
from sessions.models import NoteSignature, ProgressNote, SupervisionComment
from sessions.notes.services.common import (
    NoteError,
    author_attestation,
    cosign_attestation,
    rollup,
    signer_name,
)
from sessions.notes.services.content import note_content_hash, note_has_content


def cosignature_links(user: User) -> QuerySet[Supervision]:
    """The user's current supervision links that require co-signature (a queryset, so a
    page can read it with its other statements)."""
    return (
        Supervision.objects.current()
        .filter(supervisee=user, requires_cosignature=True)
        .values_list("pk", flat=True)[:1]
    )


def requires_cosignature(user: User) -> bool:
    return cosignature_links(user).exists()


def note_sign(*, note: ProgressNote, by: User, request=None) -> ProgressNote:
    """The author signs: the content hash and attestation are recorded and the note locks.
    A supervisee whose supervision requires co-signature sends it to the supervisor's queue."""
    with transaction.atomic():
        note = (
            ProgressNote.objects.select_for_update(of=("self",))
            .select_related("session", "client", "author")
            .get(pk=note.pk)
        )
        if note.author_id != by.pk or not note.is_editable:
            raise NoteError("This note cannot be signed now.")
        if not note_has_content(note):
            raise NoteError("Write at least one section before signing.")
        now = timezone.now()
        awaiting = requires_cosignature(by)
        status = (
            ProgressNote.Status.AWAITING_COSIGNATURE
            if awaiting
            else ProgressNote.Status.SIGNED
        )
        digest = note_content_hash(note)
        NoteSignature.objects.create(
            note=note,
            kind=NoteSignature.Kind.AUTHOR,
            signer=by,
            signer_name=signer_name(by),
            attestation=author_attestation(note.session),
            content_hash=digest,
            at=now,
        )
        ProgressNote.objects.filter(pk=note.pk).update(
            status=status,
            signed_at=now,
            signed_by=by,
            version=F("version") + 1,
            updated_at=now,
        )
        audit.record(
            "note.sign",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={
                "status": [note.status, status],
                "content_hash": digest,
            },
        )
        rollup(note.client)
    note.refresh_from_db()
    return note


def note_cosign(*, note: ProgressNote, by: User, request=None) -> ProgressNote:
    """The supervisor co-signs a note awaiting co-signature; it is then signed and locked."""
    from ipnb_notes import access

    with transaction.atomic():
        note = (
            ProgressNote.objects.select_for_update(of=("self",))
            .select_related("session", "client", "author")
            .get(pk=note.pk)
        )
        if not access.can_cosign(by, note):
            raise NoteError("This note is not waiting for your co-signature.")
        now = timezone.now()
        digest = note_content_hash(note)
        NoteSignature.objects.create(
            note=note,
            kind=NoteSignature.Kind.COSIGN,
            signer=by,
            signer_name=signer_name(by),
            attestation=cosign_attestation(note.session),
            content_hash=digest,
            at=now,
        )
        ProgressNote.objects.filter(pk=note.pk).update(
            status=ProgressNote.Status.SIGNED,
            cosigned_at=now,
            cosigned_by=by,
            version=F("version") + 1,
            updated_at=now,
        )
        audit.record(
            "note.cosign",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={"status": [note.status, ProgressNote.Status.SIGNED]},
        )
        rollup(note.client)
    note.refresh_from_db()
    return note


def note_return(
    *, note: ProgressNote, by: User, comment: str, request=None
) -> ProgressNote:
    """The supervisor returns a note for revision with a comment; the author can edit it again."""
    from ipnb_notes import access

    if not comment.strip():
        raise NoteError("Say what needs revising.")
    with transaction.atomic():
        note = (
            ProgressNote.objects.select_for_update(of=("self",))
            .select_related("session", "client", "author")
            .get(pk=note.pk)
        )
        if not access.can_cosign(by, note):
            raise NoteError("This note is not waiting for your co-signature.")
        now = timezone.now()
        SupervisionComment.objects.create(
            note=note, author=by, kind=SupervisionComment.Kind.RETURN, text=comment
        )
        NoteSignature.objects.create(
            note=note,
            kind=NoteSignature.Kind.RETURN,
            signer=by,
            signer_name=signer_name(by),
            attestation="Returned for revision.",
            content_hash=note_content_hash(note),
            at=now,
        )
        ProgressNote.objects.filter(pk=note.pk).update(
            status=ProgressNote.Status.RETURNED,
            signed_at=None,
            signed_by=None,
            version=F("version") + 1,
            updated_at=now,
        )
        audit.record(
            "note.return",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={"status": [note.status, ProgressNote.Status.RETURNED]},
        )
        rollup(note.client)
    note.refresh_from_db()
    return note
