"""Addenda: signed additions to a signed note (the note itself never changes)."""

from __future__ import annotations

import json

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.models import User
from ipnb_notes.lib.crypto import content_hash
from sessions.models import Addendum, ProgressNote
from sessions.notes.services.common import (
    NoteError,
    addendum_attestation,
    rollup,
    signer_name,
)


def addendum_add(
    *, note: ProgressNote, by: User, text: str, idempotency_key=None, request=None
) -> Addendum:
    """The author adds a signed addendum to a signed note (the note itself never changes)."""
    if note.author_id != by.pk or note.status not in (
        ProgressNote.Status.SIGNED,
        ProgressNote.Status.AWAITING_COSIGNATURE,
    ):
        raise NoteError("Only the author of a signed note can add an addendum.")
    if idempotency_key:
        existing = Addendum.objects.filter(
            idempotency_key=idempotency_key, note=note, author=by
        ).first()
        if existing:
            return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            addendum = Addendum.objects.create(
                note=note,
                author=by,
                text=text,
                signer_name=signer_name(by),
                attestation=addendum_attestation(note),
                content_hash=content_hash(
                    json.dumps(
                        {"note": str(note.code), "text": text, "at": now.isoformat()},
                        sort_keys=True,
                        ensure_ascii=False,
                    )
                ),
                signed_at=now,
                idempotency_key=idempotency_key,
            )
            audit.record(
                "note.addendum",
                actor=by,
                request=request,
                target=note,
                client_code=note.client.code,
                changes={"addendum": str(addendum.code)},
            )
            rollup(note.client)
    except IntegrityError:
        existing = Addendum.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    return addendum
