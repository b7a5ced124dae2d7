"""The transactional outbox through which every task is queued (SECURITY-REQUIREMENTS REL-08).

`enqueue("app.tasks.name", *ids)` writes an OutboxMessage inside the caller's transaction
and, after commit, publishes it with no publish retries (the broker connection times out after
a few seconds). Published messages are deleted; the rest wait for `outbox_sweep` (beat, every
minute). Tasks are idempotent, so a message published twice does no harm.

A task is queued by its name, so services never import their app's tasks module (which
imports the services back): an unknown name fails in `enqueue`, inside the caller's
transaction, never later in the relay.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from ipnb_notes.models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker outage raises when publishing; anything else is a bug and propagates.
BROKER_ERRORS = (OperationalError, OSError, TimeoutError)


def enqueue(task: str | Task, *args: int) -> OutboxMessage:
    """Record the task named `task` (or a task itself, from a tasks module) to run with
    `args`, ids only, once the current transaction commits."""
    name = task if isinstance(task, str) else task.name
    registered(name)
    message = OutboxMessage.objects.create(task=name, args=list(args))
    transaction.on_commit(lambda: relay(message.pk))
    return message


def registered(name: str) -> Task:
    """The task of this name. Task modules are loaded on first need (a web process imports
    none of them itself); a name no app declares raises LookupError."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    try:
        return current_app.tasks[name]
    except KeyError:
        raise LookupError(f"no task is named {name!r}") from None


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
            registered(message.task).apply_async(message.args, retry=False)
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


def claim_notification(kind: str, object_id: int) -> bool:
    """True the first time a notification of `kind` about `object_id` is claimed, in the
    caller's transaction (a failed send rolls the claim back, so a retry sends); False after."""
    from django.db import IntegrityError

    from ipnb_notes.models import SentNotification

    try:
        with transaction.atomic():
            SentNotification.objects.create(kind=kind, object_id=object_id)
    except IntegrityError:
        return False
    return True
