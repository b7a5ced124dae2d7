"""The generated plain-text summary of a session's IPNB events."""

from __future__ import annotations

from sessions.capture import kinds
from sessions.capture.kinds import STRATEGY_PHRASES, ZONE_NOUNS, ZONE_PHRASES
from sessions.capture.services.common import session_events

__all__ = ["STRATEGY_PHRASES", "ZONE_NOUNS", "ZONE_PHRASES", "capture_summary"]


def summary_text(session, events) -> str:
    """Each kind's sentences (sessions.capture.kinds), in the summary's order, in one sentence."""
    parts = []
    for kind in sorted(kinds.KINDS, key=lambda k: k.summary_order):
        parts += kind.summary(session, events[kind.name])
    if not parts:
        return "No IPNB events were tagged in this session."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def capture_summary(session) -> str:
    """A short, editable, plain-text summary of the session's IPNB events."""
    return summary_text(session, session_events(session))
