"""The in-session capture panel, IPNB events, integration ratings and the indicator set."""

from __future__ import annotations

urlpatterns: list = []
