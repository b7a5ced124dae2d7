from __future__ import annotations

from celery import shared_task

from ipnb_notes.celery import retry_on_outage


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **retry_on_outage())
def outbox_sweep() -> dict[str, int]:
    """Every minute (beat): publish tasks that a broker outage kept in the outbox."""
    from ipnb_notes import outbox

    return outbox.sweep()
