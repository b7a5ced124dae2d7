"""The audit trail. Everything is written through `audit.record(...)`; a view that shows
client data records the read with `audit.read(request, ...)` right after its access line."""

from __future__ import annotations


def record(*args, **kwargs):
    from audit.services import record as _record

    return _record(*args, **kwargs)


def read(*args, **kwargs):
    from audit.services import read as _read

    return _read(*args, **kwargs)
