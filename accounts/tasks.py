"""Tasks take ids, never PHI: broker messages are stored."""

from __future__ import annotations

from celery import shared_task

from ipnb_notes.celery import retry_on_outage


# SMTP outages are retried with backoff; the send is idempotent (one email per invitation).
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **retry_on_outage())
def invitation_send(invitation_id: int) -> None:
    """Email an invitation link (the token is made here, so it never crosses the broker)."""
    from accounts import services
    from accounts.models import Invitation

    invitation = (
        Invitation.objects.select_related("user").filter(id=invitation_id).first()
    )
    if invitation is None or not invitation.is_usable:
        return
    services.invitation_send(invitation=invitation)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, **retry_on_outage())
def purge_expired() -> dict[str, int]:
    """Hourly housekeeping (beat): expired login sessions and invitations."""
    from accounts import services

    return services.purge_expired()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, **retry_on_outage())
def digest_daily() -> int:
    """Daily at DIGEST_HOUR (beat): record today's digests and queue their emails."""
    from accounts import digest

    return len(digest.plan())


# A retry after an SMTP outage sends only the digests not yet sent (each is marked sent in
# the transaction that hands its email over).
@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, **retry_on_outage())
def digest_send(*digest_ids: int) -> int:
    """Email the digests of these ids (counts only: nothing about a client crosses)."""
    from accounts import digest

    return sum(digest.send(pk) for pk in digest_ids)
