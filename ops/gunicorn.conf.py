"""gunicorn's settings for the web container: `gunicorn -c ops/gunicorn.conf.py ipnb_notes.wsgi`.

The access log names the method, the path WITHOUT its query string, the status, the size and
the time taken. No query string (a search term or a `next=` address may sit in it), no Referer
(it carries the previous page's query string) and no invitation token (the emailed link has
it in its path once). Command-line options (`--bind`, `--workers`) override these.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ipnb_notes.log_redaction import redact  # noqa: E402

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
errorlog = "-"
# %(U)s is the path alone; %(r)s (the request line) and %(f)s (Referer) are never used.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class RedactingLogger(Logger):
    """The access log's atoms without query strings, Referer or invitation tokens, whatever
    access_log_format a deployment chooses."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        atoms["q"] = "-"
        atoms["f"] = "-"
        return {
            k: v
            for k, v in atoms.items()
            if k not in ("{referer}i", "{hx-current-url}i")
        }


logger_class = RedactingLogger
