"""Request paths as the logs may show them: no query string, no invitation token.

Used by Django's request loggers (settings.LOGGING) and by gunicorn's access log
(ops/gunicorn.conf.py), so neither writes what a URL might carry: a search term from an old
bookmark, a `next=` address, or the one-time token of an emailed invitation link. Django-free,
so that gunicorn's configuration can import it before the application loads.
"""

from __future__ import annotations

import logging
import re

# A path followed by a query string, inside a request line or on its own.
_QUERY = re.compile(r"(?P<path>/[^\s?\"]*)\?[^\s\"]*")
# The emailed invitation link (/invitation/<token>/); its token-free form is kept readable.
_INVITATION = re.compile(r"/invitation/(?!set-password/)[^/\s?\"]+")
INVITATION_REDACTED = "/invitation/[token]"


def redact(text: str) -> str:
    """The text with every query string dropped and every invitation token replaced."""
    text = _QUERY.sub(r"\g<path>", text)
    return _INVITATION.sub(INVITATION_REDACTED, text)


class RedactRequestPaths(logging.Filter):
    """Rewrites a record's message arguments (Django logs the request line or path as an
    argument: "Not Found: %s", '"%s" %s %s') before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a) if isinstance(a, str) else a for a in record.args
            )
        elif not record.args and isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True
