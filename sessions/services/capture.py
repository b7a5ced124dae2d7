"""IPNB capture: events, repairs, ratings, the session timeline and the generated summary.

Contract used by the notes pages (keep these two signatures):
- timeline_context(session) -> dict merged into the session page's template context and read
  by templates/sessions/_session_events.html.
- capture_summary(session) -> str: plain text inserted into the progress note on request.
"""

from __future__ import annotations


def timeline_context(session) -> dict:
    """Context for the session's event timeline (placeholder until the capture panel lands)."""
    return {"timeline": [], "open_ruptures": []}


def capture_summary(session) -> str:
    """A short, editable, plain-text summary of the session's IPNB events."""
    return ""
