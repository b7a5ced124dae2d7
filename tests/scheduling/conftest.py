"""Scheduling fixtures: Alice's client (from tests/sessions) and a helper to make a series."""

from __future__ import annotations

from tests.sessions.conftest import alices_client  # noqa: F401 (a fixture)
