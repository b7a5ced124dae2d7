"""IPNB capture: events, repairs, ratings, the session timeline and the generated summary.

Contract used by the notes pages (keep these two signatures):
- timeline_context(session) -> dict merged into the session page's template context and read
  by templates/sessions/_session_events.html; timeline_context(session, user=reader) also
  answers `can_edit` (access.can_edit_client's rule) and `refusal` (capture_refusal) in the
  same round trip.
- capture_summary(session) -> str: plain text inserted into the progress note on request.

Rules every write here keeps (docs/DECISIONS.md, "IPNB capture"):
- events go on sessions that were attended, or that are scheduled for today (in progress);
- nothing changes once the session's note is signed or awaits co-signature: the change
  belongs in an addendum;
- minutes run from 0 to the session's length plus MINUTE_MARGIN;
- a client's rupture is repaired once, in its own session (not before its minute) or later;
- every write carries an idempotency key, so a double press or a retry makes one event.

One module per feature; every public name is importable from here, which is how callers use
them (`from sessions.capture import services as services`).
"""

from __future__ import annotations

from sessions.capture.services.common import (
    KIND_MODELS,
    LOCKED_MESSAGE,
    MINUTE_MARGIN,
    MODEL_KINDS,
    REUSED_KEY,
    TAGS,
    CaptureError,
)
from sessions.capture.services.events import (
    EDITABLE,
    event_create,
    event_undo,
    event_update,
    get_event,
    last_event,
    open_ruptures,
    open_ruptures_among,
    repair_create,
    undo_token,
)
from sessions.capture.services.indicators import (
    INDICATOR_TEXT_FIELDS,
    indicator_create,
    indicator_set_retired,
    indicator_update,
)
from sessions.capture.services.intervals import (
    RepairInterval,
    client_session_starts,
    time_open,
    time_to_repair,
)
from sessions.capture.services.ratings import rating_rows, ratings_save
from sessions.capture.services.rules import (
    capture_refusal,
    check_markers,
    check_repair_order,
    clock_minute,
    max_minute,
    session_status_refusal,
)
from sessions.capture.services.summary import (
    STRATEGY_PHRASES,
    ZONE_NOUNS,
    ZONE_PHRASES,
    capture_summary,
)
from sessions.capture.services.timeline import TimelineItem, describe, timeline_context

__all__ = [
    "CaptureError",
    "EDITABLE",
    "INDICATOR_TEXT_FIELDS",
    "KIND_MODELS",
    "LOCKED_MESSAGE",
    "MINUTE_MARGIN",
    "MODEL_KINDS",
    "REUSED_KEY",
    "RepairInterval",
    "STRATEGY_PHRASES",
    "TAGS",
    "TimelineItem",
    "ZONE_NOUNS",
    "ZONE_PHRASES",
    "capture_refusal",
    "capture_summary",
    "check_markers",
    "check_repair_order",
    "client_session_starts",
    "clock_minute",
    "describe",
    "event_create",
    "event_undo",
    "undo_token",
    "event_update",
    "get_event",
    "indicator_create",
    "indicator_set_retired",
    "indicator_update",
    "last_event",
    "max_minute",
    "open_ruptures",
    "open_ruptures_among",
    "rating_rows",
    "ratings_save",
    "repair_create",
    "session_status_refusal",
    "time_open",
    "time_to_repair",
    "timeline_context",
]
