"""Tasks take ids, never PHI: broker messages are stored."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    autoretry_for=(
        OSError,
    ),  # SMTP outages: retry with backoff; the send is idempotent
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=8,
)
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


@shared_task
def purge_expired() -> dict[str, int]:
    """Hourly housekeeping (beat): expired login sessions and invitations."""
    from accounts import services

    return services.purge_expired()
