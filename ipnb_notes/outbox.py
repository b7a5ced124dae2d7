"""The transactional outbox through which every task is queued (SECURITY-REQUIREMENTS REL-08).

`enqueue(task, *ids)` writes an OutboxMessage inside the caller's transaction and, after
commit, publishes it with no publish retries (the broker connection times out after a few
seconds). Published messages are deleted; the rest wait for `outbox_sweep` (beat, every
minute). Tasks are idempotent, so a message published twice does no harm.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from ipnb_notes.models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker outage raises when publishing; anything else is a bug and propagates.
BROKER_ERRORS = (OperationalError, OSError, TimeoutError)


def enqueue(task, *args: int) -> OutboxMessage:
    """Record `task(*args)` to run once the current transaction commits."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: relay(message.pk))
    return message


def relay(message_id: int) -> bool:
    """Publish one message; True when it left the outbox. Never raises for a broker outage."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return True  # published already (by the sweeper, or another relay)
        try:
            current_app.tasks[message.task].apply_async(message.args, retry=False)
        except BROKER_ERRORS as exc:
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:200]
            message.save(update_fields=["attempts", "last_error"])
            logger.warning(
                "outbox: %s not published (%s); the sweeper will retry",
                message,
                message.last_error,
            )
            return False
        message.delete()
        return True


def sweep(
    *, older_than: timedelta = timedelta(seconds=30), limit: int = 500
) -> dict[str, int]:
    """Publish what the after-commit relay could not; oldest first."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(created_at__lte=cutoff).values_list(
            "pk", flat=True
        )[:limit]
    )
    published = sum(relay(pk) for pk in ids)
    return {"published": published, "pending": len(ids) - published}


def lag() -> dict[str, float | int]:
    """How many messages wait and how old the oldest is, in seconds (for /healthz)."""
    oldest = (
        OutboxMessage.objects.order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return {
        "pending": OutboxMessage.objects.count(),
        "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1)
        if oldest
        else 0,
    }
