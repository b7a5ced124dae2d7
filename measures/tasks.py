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


# Idempotent: a session and questionnaire get one link, however often the run repeats.
@shared_task(acks_late=True, time_limit=300, soft_time_limit=280, **retry_on_outage())
def schedule_run(client_id: int) -> int:
    """Make the links one client's schedule calls for now (and queue their emails)."""
    from measures import scheduling

    return len(scheduling.schedule_run(client_id=client_id))


# Beat's run only queues (through the outbox); a database outage is retried with backoff.
@shared_task(acks_late=True, time_limit=300, soft_time_limit=280, **retry_on_outage())
def schedules_run_all() -> int:
    """Beat: queue `schedule_run` for every client with a schedule."""
    from measures import scheduling

    return scheduling.schedules_run_all()
