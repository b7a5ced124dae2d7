"""Scheduling's writes: sessions one by one, recurring series, cancellations, one-click
marks, and the calendar feed. Every public name is importable from here
(`from sessions.scheduling import services`)."""

from __future__ import annotations

from sessions.scheduling.services.feed import (
    FEED_REQUESTS_PER_MINUTE,
    feed_for_token,
    feed_issue,
    feed_of,
    feed_path,
    feed_revoke,
    feed_text,
    feed_title_set,
    initials,
)
from sessions.scheduling.services.series import (
    FOLLOWING,
    ONE,
    ScheduleError,
    changeable,
    series_create,
    series_dates,
    sessions_cancel,
    sessions_move,
)
from sessions.scheduling.services.sessions import (
    MARKS,
    SESSION_FIELDS,
    session_create,
    session_mark,
    session_update,
)

__all__ = [
    "FEED_REQUESTS_PER_MINUTE",
    "FOLLOWING",
    "MARKS",
    "ONE",
    "SESSION_FIELDS",
    "ScheduleError",
    "changeable",
    "feed_for_token",
    "feed_issue",
    "feed_of",
    "feed_path",
    "feed_revoke",
    "feed_text",
    "feed_title_set",
    "initials",
    "series_create",
    "series_dates",
    "session_create",
    "session_mark",
    "session_update",
    "sessions_cancel",
    "sessions_move",
]
