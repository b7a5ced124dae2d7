"""Tasks take ids, never PHI: broker messages are stored. Both sends are idempotent."""

from __future__ import annotations

from celery import shared_task

from ipnb_notes.celery import retry_on_outage


# SMTP outages are retried with backoff; a redelivered task finds the link already sent.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **retry_on_outage())
def measure_link_send(link_id: int) -> bool:
    """Email a questionnaire link to the address the therapist typed (practice name + link)."""
    from measures import services

    return services.measure_link_send(link_id=link_id)


# Once per alert (SentNotification "risk_alert"); a failed send leaves no row, so the retry sends.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **retry_on_outage())
def risk_alert_notify(alert_id: int) -> int:
    """Tell the client's therapists that a questionnaire completed by the client needs them."""
    from measures import services

    return services.risk_alert_notify(alert_id=alert_id)
