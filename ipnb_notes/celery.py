"""The Celery app, per Celery's "First steps with Django". Eager when no broker is set."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")

app = Celery("ipnb_notes", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_a_privileged_database_role(**kwargs) -> None:
    """Production workers and beat run only as the runtime database role, like the web
    (ipnb_notes/deployment.py). Celery logs and swallows a handler's exception, so a refusal
    leaves as SystemExit, which stops the process with the message."""
    from django.core.exceptions import ImproperlyConfigured

    from ipnb_notes.deployment import check_at_startup

    try:
        check_at_startup()
    except ImproperlyConfigured as refusal:
        raise SystemExit(f"ImproperlyConfigured: {refusal}") from refusal


# REL-07: every task retries a passing outage (database restarting, SMTP refusing) with
# exponential backoff and jitter, a bounded number of times. Tasks are idempotent, so a retry
# or a redelivery repeats no side effect. Each task states acks_late and its time limits.
RETRY_ON_OUTAGE = {
    "autoretry_for": (OSError,),
    "retry_backoff": 15,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 6,
}


def retry_on_outage(*extra: type[BaseException]) -> dict:
    """RETRY_ON_OUTAGE plus the database's connection errors (imported late: Django may not
    be set up when this module loads)."""
    from django.db import InterfaceError, OperationalError

    return {
        **RETRY_ON_OUTAGE,
        "autoretry_for": (OSError, OperationalError, InterfaceError, *extra),
    }
