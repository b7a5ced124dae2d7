"""Demo data (called by manage.py seed_demo). Must be idempotent."""

from __future__ import annotations


def seed_sessions(users: dict) -> None:
    """Filled in with the feature."""
