"""Integration ratings of a session."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

import audit
from sessions.capture.services.common import CaptureError, rollup
from sessions.capture.services.rules import check_writable
from sessions.models import IntegrationIndicator, IntegrationRating, TherapySession


def rating_rows(session: TherapySession) -> list[dict]:
    """Active indicators (and retired ones rated on this session), each with this session's
    value and the value from the client's previous rated session. Three queries."""
    current = {
        r.indicator_id: r
        for r in IntegrationRating.objects.filter(session=session).select_related(
            "indicator"
        )
    }
    previous_session = (
        IntegrationRating.objects.filter(
            session__client_id=session.client_id,
            session__starts_at__lt=session.starts_at,
        )
        .order_by("-session__starts_at")
        .values("session_id")[:1]
    )
    previous = {
        r.indicator_id: r
        for r in IntegrationRating.objects.filter(
            session_id__in=previous_session
        ).select_related("session")
    }
    indicators = list(
        IntegrationIndicator.objects.filter(
            Q(retired_at__isnull=True) | Q(id__in=list(current))
        )
    )
    return [
        {
            "indicator": ind,
            "value": current[ind.id].value if ind.id in current else None,
            "previous": previous.get(ind.id),
        }
        for ind in indicators
    ]


def ratings_save(
    *, session: TherapySession, values: dict[int, int | None], by, request=None
) -> list[str]:
    """Store this session's ratings (indicator id -> value; None clears). Only active
    indicators may get a new value. Returns the codes of the indicators that changed."""
    check_writable(session)
    indicators = {i.id: i for i in IntegrationIndicator.objects.filter(id__in=values)}
    existing = {
        r.indicator_id: r for r in IntegrationRating.objects.filter(session=session)
    }
    changed = []
    with transaction.atomic():
        for indicator_id, value in values.items():
            indicator = indicators[indicator_id]
            rating = existing.get(indicator_id)
            if value is None:
                if rating is not None:
                    rating.delete()
                    changed.append(indicator.code)
                continue
            if not indicator.scale_min <= value <= indicator.scale_max:
                raise CaptureError(
                    f"{indicator.label}: choose a value from {indicator.scale_min} to {indicator.scale_max}.",
                    field=f"indicator_{indicator.id}",
                )
            if rating is None:
                if not indicator.is_active:
                    raise CaptureError(
                        f"{indicator.label} is retired and is not rated any more.",
                        field=f"indicator_{indicator.id}",
                    )
                IntegrationRating.objects.create(
                    session=session, indicator=indicator, value=value, rated_by=by
                )
                changed.append(indicator.code)
            elif rating.value != value:
                rating.value = value
                rating.rated_by = by
                rating.save(update_fields=["value", "rated_by", "updated_at"])
                changed.append(indicator.code)
        if changed:
            audit.record(
                "ratings.update",
                actor=by,
                request=request,
                target=session,
                client_code=session.client.code,
                changes={"indicators": sorted(changed)},
            )
    if changed:
        rollup(session)
    return changed
