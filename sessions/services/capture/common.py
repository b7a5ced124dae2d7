"""Event kinds, tags, the capture error and helpers shared by the capture services."""

from __future__ import annotations

import uuid

import audit
from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    RepairEvent,
    RuptureEvent,
    SessionTag,
    TherapySession,
)

MINUTE_MARGIN = 30

# Event kinds as they appear in URLs, anchors and audit actions.
KIND_MODELS = {
    "attunement": AttunementMoment,
    "rupture": RuptureEvent,
    "repair": RepairEvent,
    "arousal": ArousalObservation,
    "tag": SessionTag,
}

MODEL_KINDS = {model: kind for kind, model in KIND_MODELS.items()}

# One key (or two) per tag: what the capture panel's buttons create.
TAGS = {
    "match": (AttunementMoment, {"process": AttunementMoment.Process.MATCH}),
    "mismatch": (AttunementMoment, {"process": AttunementMoment.Process.MISMATCH}),
    "rupture-withdrawal": (
        RuptureEvent,
        {"rupture_type": RuptureEvent.Type.WITHDRAWAL},
    ),
    "rupture-confrontation": (
        RuptureEvent,
        {"rupture_type": RuptureEvent.Type.CONFRONTATION},
    ),
    "hyper": (ArousalObservation, {"zone": ArousalObservation.Zone.HYPERAROUSAL}),
    "within": (ArousalObservation, {"zone": ArousalObservation.Zone.WITHIN}),
    "hypo": (ArousalObservation, {"zone": ArousalObservation.Zone.HYPOAROUSAL}),
    "protective-part": (SessionTag, {"value": SessionTag.Value.PROTECTIVE_PART}),
    "vulnerable-part": (SessionTag, {"value": SessionTag.Value.VULNERABLE_PART}),
    "compassionate-self": (
        SessionTag,
        {"value": SessionTag.Value.COMPASSIONATE_SELF},
    ),
    "body-sensation": (SessionTag, {"value": SessionTag.Value.BODY_SENSATION}),
    "context": (SessionTag, {"value": SessionTag.Value.CONTEXT}),
}

LOCKED_MESSAGE = "This session's note is signed; record changes in an addendum."

REUSED_KEY = (
    "This form was already used for another session; reload the page and tag again."
)


class CaptureError(Exception):
    """A capture rule was broken; the message is shown beside `field` (or above the form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _audit(action, *, event, session, by, request, changes=None):
    audit.record(
        action,
        actor=by,
        request=request,
        target=event,
        client_code=session.client.code,
        changes={"session": str(session.code), **(changes or {})},
    )


def _rollup(session: TherapySession) -> None:
    from dashboards.services import request_rollup

    request_rollup(session.client)


def _existing(model, key: uuid.UUID | None, session: TherapySession):
    if key is None:
        return None
    return model.objects.filter(idempotency_key=key, session=session).first()


def _labels(choices, values) -> list[str]:
    lookup = dict(choices)
    return [lookup.get(v, v) for v in values]


def _session_event_querysets(session) -> dict:
    """The session's events by kind, as querysets (one per kind, whatever their number)."""
    return {
        "attunement": AttunementMoment.objects.filter(session=session),
        "rupture": RuptureEvent.objects.filter(session=session).select_related(
            "repair__session"
        ),
        "repair": RepairEvent.objects.filter(session=session).select_related(
            "rupture__session"
        ),
        "arousal": ArousalObservation.objects.filter(session=session),
        "tag": SessionTag.objects.filter(session=session),
    }


def _session_events(session):
    """The session's events by kind, read in one round trip."""
    from ipnb_notes import batch

    queries = _session_event_querysets(session)
    return dict(zip(queries, batch.fetch(*queries.values()), strict=True))
