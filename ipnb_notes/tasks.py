from __future__ import annotations

from celery import shared_task


@shared_task
def outbox_sweep() -> dict[str, int]:
    """Every minute (beat): publish tasks that a broker outage kept in the outbox."""
    from ipnb_notes import outbox

    return outbox.sweep()
