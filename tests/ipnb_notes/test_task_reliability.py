"""Every task is safe to run twice and survives a passing outage (REL-07): explicit late
acknowledgement, time limits, bounded retries with backoff and jitter, a visibility timeout
longer than any task, and a dedupe key on each side effect."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail

from clients.models import EmergencyAccess
from clients.tasks import emergency_access_notify
from ipnb_notes.celery import app
from ipnb_notes.models import SentNotification
from tests.factories import make_client, make_user

OUR_APPS = (
    "accounts.",
    "audit.",
    "clients.",
    "sessions.",
    "dashboards.",
    "ipnb_notes.",
    "disclosures.",
    "measures.",
)


def _our_tasks():
    app.loader.import_default_modules()
    tasks = {
        name: task for name, task in app.tasks.items() if name.startswith(OUR_APPS)
    }
    assert len(tasks) >= 7  # the registry really holds the app's tasks
    return tasks


@pytest.mark.parametrize("name", sorted(_our_tasks()))
def test_every_task_states_acks_late_limits_and_retries(name):
    task = app.tasks[name]
    declared = type(task).__dict__

    assert declared.get("acks_late") is True, f"{name} must declare acks_late"
    assert task.time_limit and task.soft_time_limit < task.time_limit
    assert task.autoretry_for, f"{name} has no autoretry_for"
    assert task.retry_backoff and task.retry_jitter is True
    assert 0 < task.max_retries <= 10


def test_the_visibility_timeout_outlasts_every_task():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    tasks = _our_tasks().values()
    longest = max(task.time_limit for task in tasks)
    longest_countdown = max(task.retry_backoff_max for task in tasks)

    assert visibility > longest + longest_countdown
    assert visibility > app.conf.task_time_limit


@pytest.fixture
def grant(db, alice, ada):
    dana = make_user(full_name="Dana Oncall", can_break_glass=True)
    record = make_client(alice, legal_name="Robin Emergency")
    from django.utils import timezone

    now = timezone.now()
    return EmergencyAccess.objects.create(
        user=dana,
        client=record,
        reason="Crisis line call; the safety plan is needed now.",
        granted_at=now,
        expires_at=now + timezone.timedelta(hours=8),
    )


def test_a_redelivered_emergency_notice_is_sent_once(grant, mailoutbox):
    first = emergency_access_notify.apply(args=[grant.pk]).get()
    second = emergency_access_notify.apply(args=[grant.pk]).get()

    assert first == 3  # alice, ada and dana herself
    assert second == 0
    assert len(mailoutbox) == 1
    assert (
        SentNotification.objects.filter(
            kind="emergency_access", object_id=grant.pk
        ).count()
        == 1
    )


def test_a_failed_send_leaves_no_dedupe_row_so_the_retry_sends(grant, monkeypatch):
    from celery.exceptions import Retry
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server restarting")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(Retry):  # autoretry: the task asks the broker to run it again
        emergency_access_notify.apply(args=[grant.pk])

    assert not SentNotification.objects.filter(object_id=grant.pk).exists()
    assert mail.outbox == []

    monkeypatch.undo()
    assert emergency_access_notify.apply(args=[grant.pk]).get() == 3
    assert len(mail.outbox) == 1
