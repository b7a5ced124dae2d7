"""The audit trail. Everything is written through `audit.record(...)`."""

from __future__ import annotations


def record(*args, **kwargs):
    from audit.services import record as _record

    return _record(*args, **kwargs)
