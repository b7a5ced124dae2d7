"""The moment a query is about: `timezone.now()`, unless a baked queryset is being built.

Access rules and page queries ask "which links are in force now", "which grants are less
than 30 days old". A queryset built once and reused (ipnb_notes.batch.Baked) must not keep
the moment it was built at: while it is built, the moment is a stand-in value that Baked
replaces with each request's own moment. Code that puts the current moment, today's date,
or a moment some time before now into a queryset asks this module for it.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime, timedelta

from django.utils import timezone

# While a baked queryset is built: a callable that stands in for (what, argument).
_stand_in: ContextVar = ContextVar("ipnb_clock_stand_in", default=None)


def standing_in() -> bool:
    """Whether a baked queryset is being built (or, under tests, checked) right now."""
    return _stand_in.get() is not None


def now() -> datetime:
    stand_in = _stand_in.get()
    return timezone.now() if stand_in is None else stand_in("now", None)


def today() -> date:
    """Today's date in the practice's time zone."""
    stand_in = _stand_in.get()
    return timezone.localdate() if stand_in is None else stand_in("today", None)


def ago(delta: timedelta) -> datetime:
    """The moment `delta` before now."""
    stand_in = _stand_in.get()
    return timezone.now() - delta if stand_in is None else stand_in("ago", delta)


def value(what: str, argument, at: datetime):
    """The real value a stand-in took the place of, for a request at the moment `at`."""
    if what == "now":
        return at
    if what == "today":
        return timezone.localdate(at)
    if what == "ago":
        return at - argument
    raise ValueError(what)
