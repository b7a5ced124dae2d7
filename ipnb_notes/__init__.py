from __future__ import annotations

from ipnb_notes.celery import app as celery_app

__all__ = ["celery_app"]
