"""The daily digest in a real Celery worker on a real broker, with the file email backend:
the beat task run twice sends each clinician with something to do one email, none to the one
who opted out or has nothing to do, and no email names a client.

Needs CELERY_BROKER_URL, like tests/test_celery_worker.py (whose worker fixture this reuses
with the file email backend)."""

from __future__ import annotations

import email
import os
from datetime import timedelta
from email import policy

import pytest
from django.utils import timezone

from accounts import digest
from accounts.models import DailyDigest, Invitation, User
from tests.accounts.test_digest import _world
from tests.factories import make_client, make_session, make_user
from tests.test_celery_worker import _send, _wait_for, worker_queue  # noqa: F401
from tests.test_celery_worker import pytestmark as worker_marks

# mail_dir first: the worker inherits os.environ as it is when it starts.
pytestmark = [*worker_marks, pytest.mark.usefixtures("mail_dir")]


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    """The worker (a process of its own) writes each email as a file here."""
    folder = tmp_path / "mail"
    folder.mkdir()
    monkeypatch.setitem(
        os.environ, "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
    monkeypatch.setitem(os.environ, "EMAIL_FILE_PATH", str(folder))
    return folder


def _emails(folder) -> list[email.message.EmailMessage]:
    messages = []
    for path in sorted(folder.iterdir()):
        # The file backend appends each message followed by a line of dashes.
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(
                    email.message_from_bytes(chunk.strip(), policy=policy.default)
                )
    return messages


def test_the_worker_sends_each_digest_once(worker_queue, mail_dir, alice, bob, charlie):  # noqa: F811
    queue, process = worker_queue
    world = _world(alice, bob, charlie)
    opted_out = make_user(full_name="Opted Out")
    digest.set_preference(user=opted_out, enabled=False)
    make_session(make_client(opted_out), opted_out)  # something to do, but no email
    # A housekeeping task queued last marks the end: the worker takes one task at a time.
    admin = make_user(role=User.Role.ADMIN)
    marker = Invitation.objects.create(
        user=make_user(email="marker@example.org"),
        invited_by=admin,
        token_hash="m" * 64,
        expires_at=timezone.now() - timedelta(hours=1),
    )

    # Beat fires twice (a restart, a second beat): one email each all the same.
    _send("accounts.tasks.digest_daily", queue)
    _send("accounts.tasks.digest_daily", queue)
    _send("accounts.tasks.purge_expired", queue)

    def done() -> bool:
        marker.refresh_from_db()
        return marker.revoked_at is not None

    _wait_for(done, process)
    sent = DailyDigest.objects.filter(day=timezone.localdate(), sent_at__isnull=False)
    assert sorted(sent.values_list("user__email", flat=True)) == sorted(
        [alice.email, bob.email]
    )
    messages = _emails(mail_dir)
    assert sorted(m["To"] for m in messages) == sorted([alice.email, bob.email])
    by_recipient = {m["To"]: m for m in messages}
    assert by_recipient[alice.email]["Subject"] == (
        "Your notes today: 4 to write, 1 to revise"
    )
    for message in messages:
        text = message["Subject"] + message.get_content()
        for c in world["clients"]:
            for name in (c.legal_name, c.preferred_name, *c.legal_name.split()):
                assert name not in text
            assert str(c.code) not in text
