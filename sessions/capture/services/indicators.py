"""The practice's set of integration indicators (practice admins)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

import audit
from sessions.capture.services.common import CaptureError
from sessions.models import InstrumentStatus, IntegrationIndicator

INDICATOR_TEXT_FIELDS = ["label", "description", "min_label", "max_label", "sort_order"]


def indicator_create(*, data: dict, by, request=None) -> IntegrationIndicator:
    """Add an indicator to the practice's set (practice admins). Its wording and scale are the
    practice's, so its instrument status is USER_DEFINED; it joins the composite only when
    rated on the composite's scale."""
    if IntegrationIndicator.objects.filter(code=data["code"]).exists():
        raise CaptureError("An indicator with this code already exists.", field="code")
    error = IntegrationIndicator.composite_scale_error(
        data.get("scale_min", 0),
        data.get("scale_max", 4),
        data.get("in_composite", True),
    )
    if error:
        raise CaptureError(error, field="in_composite")
    data = {**data, "instrument_status": InstrumentStatus.USER_DEFINED}
    with transaction.atomic():
        indicator = IntegrationIndicator.objects.create(**data)
        audit.record(
            "indicator.create",
            actor=by,
            request=request,
            target=indicator,
            target_code=indicator.code,
            changes={k: [None, v] for k, v in data.items()},
        )
    return indicator


def indicator_update(
    *, indicator: IntegrationIndicator, data: dict, by, request=None
) -> IntegrationIndicator:
    """Rename or re-describe an indicator; its ratings stay and show the new label."""
    changes = {}
    for name in INDICATOR_TEXT_FIELDS:
        if name in data and getattr(indicator, name) != data[name]:
            changes[name] = [getattr(indicator, name), data[name]]
            setattr(indicator, name, data[name])
    if changes:
        with transaction.atomic():
            indicator.save(update_fields=list(changes))
            audit.record(
                "indicator.update",
                actor=by,
                request=request,
                target=indicator,
                target_code=indicator.code,
                changes=changes,
            )
    return indicator


def indicator_set_retired(
    *, indicator: IntegrationIndicator, retired: bool, by, request=None
) -> IntegrationIndicator:
    """Retire (no new ratings; history kept) or reinstate an indicator."""
    if retired == (not indicator.is_active):
        return indicator
    old = indicator.retired_at
    indicator.retired_at = timezone.now() if retired else None
    with transaction.atomic():
        indicator.save(update_fields=["retired_at"])
        audit.record(
            "indicator.retire" if retired else "indicator.reinstate",
            actor=by,
            request=request,
            target=indicator,
            target_code=indicator.code,
            changes={
                "retired_at": [
                    old.isoformat() if old else None,
                    indicator.retired_at.isoformat() if indicator.retired_at else None,
                ]
            },
        )
    return indicator
