from __future__ import annotations

from celery import shared_task


@shared_task
def rollup_refresh_client(client_id: int) -> None:
    """Recompute the weekly rollups of one client (placeholder until the dashboards land)."""
