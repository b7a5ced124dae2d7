"""Supervision comments on a supervisee's note, optionally anchored to one IPNB event."""

from __future__ import annotations

from django.db import IntegrityError, transaction

import audit
from accounts.models import User
from sessions import kinds
from sessions.models import ProgressNote, SupervisionComment

# The event kinds a comment may be anchored to, by model name (sessions.kinds).
ANCHOR_MODELS = {name: model.__name__ for name, model in kinds.anchor_models().items()}


def anchor_exists(note: ProgressNote, anchor_type: str, anchor_code) -> bool:
    from sessions import models

    model = getattr(models, ANCHOR_MODELS[anchor_type])
    return model.objects.filter(session_id=note.session_id, code=anchor_code).exists()


def comment_add(
    *,
    note: ProgressNote,
    by: User,
    text: str,
    anchor_type: str = "",
    anchor_code=None,
    idempotency_key=None,
    request=None,
) -> SupervisionComment:
    """A supervisor's comment on a supervisee's note, optionally beside one event."""
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
