"""Background work of the clients app; ids in, never PHI."""

from __future__ import annotations

from celery import shared_task

from ipnb_notes.celery import retry_on_outage


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **retry_on_outage())
def emergency_access_notify(grant_id: int) -> int:
    """Tell the client's therapists and the practice admins about an emergency access."""
    from clients.services import emergency_access_notify as notify

    return notify(grant_id)
