from __future__ import annotations

from celery import shared_task

from ipnb_notes.celery import retry_on_outage


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, **retry_on_outage())
def rollup_refresh_client(client_id: int) -> None:
    """Recompute the rollups of one client and of the clinicians who saw that client."""
    from dashboards.services import rollup_refresh_client as refresh

    refresh(client_id=client_id)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3300, **retry_on_outage())
def rollup_refresh_all() -> None:
    """Nightly: rebuild every rollup (ages, 12-week windows and trends move with the clock)."""
    from dashboards.services import rollup_refresh_all as refresh

    refresh()
