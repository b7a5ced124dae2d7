"""A broker outage never blocks or loses a save (REL-08): tasks go through the outbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from accounts import services as account_services
from accounts.models import User
from ipnb_notes import outbox
from ipnb_notes.celery import app
from ipnb_notes.models import OutboxMessage

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def broker_down(monkeypatch):
    """Publish for real (not eagerly) to a broker that refuses connections."""
    # Celery prefers the environment variable to its configuration (CI sets it): set both.
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER)
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = DEAD_BROKER
    _forget_connections()
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    _forget_connections()


def _forget_connections():
    # Celery caches its connection and producer pools on first use; drop them so that the
    # next publish connects to the broker URL now configured.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_it_saves_and_keeps_the_task_when_the_broker_is_down(ada, broker_down):
    started = time.monotonic()
    user = account_services.user_invite(
        email="new@example.org",
        full_name="New Therapist",
        role=User.Role.THERAPIST,
        by=ada,
    )
    elapsed = time.monotonic() - started

    assert User.objects.filter(pk=user.pk).exists()  # the save went through
    message = OutboxMessage.objects.get()
    assert message.task == "accounts.tasks.invitation_send"
    assert message.args == [user.invitations.get().pk]  # ids only, never PHI
    assert message.attempts == 1 and message.last_error
    assert elapsed < 15, f"the save waited {elapsed:.1f} s for the broker"


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_publishes_what_waited(ada, broker_down):
    account_services.user_invite(
        email="later@example.org", full_name="Later", role=User.Role.THERAPIST, by=ada
    )
    assert OutboxMessage.objects.count() == 1
    assert outbox.sweep(older_than=timedelta(0)) == {"published": 0, "pending": 1}

    # The broker is back (here: eager, as in development): the sweep publishes and empties it.
    app.conf.task_always_eager = True
    assert outbox.sweep(older_than=timedelta(0)) == {"published": 1, "pending": 0}
    assert not OutboxMessage.objects.exists()
    assert len(mail.outbox) == 1 and "/invitation/" in mail.outbox[0].body


@pytest.mark.django_db
def test_healthz_reports_the_outbox_lag(client):
    OutboxMessage.objects.create(task="accounts.tasks.purge_expired", args=[])
    body = client.get("/healthz").json()
    assert body["outbox"]["pending"] == 1
    assert body["outbox"]["oldest_seconds"] >= 0


@pytest.mark.django_db
def test_a_published_task_leaves_the_outbox(
    ada, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_invite(
            email="now@example.org", full_name="Now", role=User.Role.THERAPIST, by=ada
        )
    assert not OutboxMessage.objects.exists()
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_redelivered_invitation_task_sends_nothing_twice(
    ada, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.tasks import invitation_send

    with django_capture_on_commit_callbacks(execute=True):
        user = account_services.user_invite(
            email="once@example.org", full_name="Once", role=User.Role.THERAPIST, by=ada
        )
    invitation = user.invitations.get()
    first_hash = invitation.token_hash

    invitation_send.apply(
        args=[invitation.pk]
    )  # the broker delivers the same message again

    invitation.refresh_from_db()
    assert len(mailoutbox) == 1
    assert invitation.token_hash == first_hash  # the emailed link still works


def test_tasks_are_acknowledged_after_they_ran():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert (
        app.conf.task_time_limit
        and app.conf.task_soft_time_limit < app.conf.task_time_limit
    )
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert (
        visibility > app.conf.task_time_limit
    )  # a long task is not redelivered while it runs


@pytest.mark.django_db
def test_an_unknown_task_name_fails_in_the_callers_transaction(ada):
    with (
        pytest.raises(LookupError, match="accounts.tasks.invitation_sent"),
        transaction.atomic(),
    ):
        outbox.enqueue("accounts.tasks.invitation_sent", 1)
    assert not OutboxMessage.objects.exists()


def test_a_process_that_never_imported_a_tasks_module_queues_it_by_name():
    """The web process imports no tasks module (services queue tasks by name): the outbox
    loads them when a name is first asked for."""
    script = (
        "import sys, django; django.setup()\n"
        "from ipnb_notes import outbox\n"
        "assert 'accounts.tasks' not in sys.modules\n"
        "print(outbox.registered('accounts.tasks.invitation_send').name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ipnb_notes.settings"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "accounts.tasks.invitation_send"
