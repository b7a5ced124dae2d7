"""Instruments defined by the practice: defined and retired by practice admins (audited), then
completed like the PHQ-9, by the clinician or by the client's link. What they are is read from
measures.instruments.PRACTICE_STATUS wherever they are shown."""

from __future__ import annotations

from django.db import transaction

import audit
from measures import instruments
from measures.models import PracticeInstrument

# The limits of a definition, checked by the form and shown beside its fields.
MAX_ITEMS = 20
MAX_ITEM_LENGTH = 300
MIN_OPTIONS, MAX_OPTIONS = 2, 11
MAX_LABEL_LENGTH = 60
MAX_BANDS = 10


def define(
    *, name: str, question: str, items, scale, bands, by, request=None
) -> PracticeInstrument:
    """Store a new instrument (never changed afterwards) and audit it. The definition is
    not clinical data; the audit event names its size, not its wording."""
    with transaction.atomic():
        row = PracticeInstrument(
            name=name,
            question=question,
            items=list(items),
            scale=list(scale),
            bands=[list(b) for b in bands],
            created_by=by,
        )
        row.key = instruments.PRACTICE_KEY_PREFIX + row.code.hex[:7]
        row.save()
        audit.record(
            "practice_instrument.define",
            actor=by,
            request=request,
            target=row,
            changes={
                "items": len(row.items),
                "options": len(row.scale),
                "bands": len(row.bands),
            },
        )
    return row


def set_active(*, instrument: PracticeInstrument, active: bool, by, request=None):
    """Retire an instrument (no new administration, link or schedule) or bring it back.
    Its scores stay in every record either way."""
    with transaction.atomic():
        done = PracticeInstrument.objects.filter(
            pk=instrument.pk, active=not active
        ).update(active=active)
        if done:
            audit.record(
                "practice_instrument.reinstate"
                if active
                else "practice_instrument.retire",
                actor=by,
                request=request,
                target=instrument,
            )
    instrument.active = active
    return instrument


def active_choices() -> list[tuple[str, str]]:
    """(key, name) of the instruments clinicians may use now, one query."""
    return list(
        PracticeInstrument.objects.filter(active=True)
        .order_by("name")
        .values_list("key", "name")
    )


def in_use():
    """The instruments clinicians may complete and send now, by name."""
    return PracticeInstrument.objects.filter(active=True).order_by("name")


def every_one():
    """Every instrument the practice defined, those in use first (the admin's list)."""
    return PracticeInstrument.objects.order_by("-active", "name")
