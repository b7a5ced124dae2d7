"""Sessions, progress notes, addenda, co-signature, process notes."""

from __future__ import annotations

urlpatterns: list = []
