"""A real Celery worker, started as its own process, consumes tasks from a real broker.

Needs CELERY_BROKER_URL (CI sets it). Without it the test skips, except under CI=true,
where a missing broker is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import hash_token
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

if not BROKER:
    if os.environ.get("CI") == "true":
        raise RuntimeError(
            "CI=true but CELERY_BROKER_URL is not set: the worker test must run in CI"
        )
    pytestmark.append(
        pytest.mark.skip(
            reason="CELERY_BROKER_URL is not set: no broker for a real worker "
            "(e.g. CELERY_BROKER_URL=redis://127.0.0.1:6379/15)"
        )
    )


def _test_database_url() -> str:
    """The test database, as a URL the worker's settings understand."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    host, port = db["HOST"] or "", db["PORT"] or ""
    if host.startswith("/"):  # the embedded server listens on a Unix socket
        return f"postgresql://{auth}@:{port}/{db['NAME']}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    """Start `celery -A ipnb_notes worker` on a queue of its own; stop it afterwards.

    A private queue keeps this worker from taking tasks sent by any other test run
    sharing the broker, and other workers from taking this test's tasks.
    """
    queue = f"ipnb-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": _test_database_url(),
        "IPNB_ENV": "test",
    }
    env.pop("TEST_DB_NAME", None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "ipnb_notes",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _send(task: str, queue: str, *args) -> None:
    from ipnb_notes.celery import app

    # send_task always goes through the broker, even where tasks run eagerly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app.send_task(task, args=list(args), queue=queue)


def _wait_for(condition, process, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the worker exited with {process.returncode}:\n{output}")
        time.sleep(0.3)
    process.terminate()
    output = process.communicate(timeout=20)[0]
    pytest.fail(f"the worker did not finish the task in {seconds} s:\n{output}")


def test_it_runs_housekeeping_in_a_real_worker(worker_queue):
    queue, process = worker_queue
    admin = make_user(role="ADMIN")
    expired = Invitation.objects.create(
        user=make_user(email="late@example.org"),
        invited_by=admin,
        token_hash="e" * 64,
        expires_at=timezone.now() - timedelta(hours=1),
    )
    still_open = Invitation.objects.create(
        user=make_user(email="soon@example.org"),
        invited_by=admin,
        token_hash="f" * 64,
        expires_at=timezone.now() + timedelta(hours=1),
    )

    _send("accounts.tasks.purge_expired", queue)

    def revoked() -> bool:
        expired.refresh_from_db()
        return expired.revoked_at is not None

    _wait_for(revoked, process)
    still_open.refresh_from_db()
    assert still_open.revoked_at is None


def test_the_worker_makes_the_invitation_token_itself(worker_queue):
    queue, process = worker_queue
    admin = make_user(role="ADMIN")
    invitee = make_user(email="new@example.org", password=None)
    invitation = Invitation.objects.create(
        user=invitee,
        invited_by=admin,
        token_hash="pending-placeholder",
        expires_at=timezone.now() + timedelta(hours=72),
    )

    # Only the invitation's id crosses the broker.
    _send("accounts.tasks.invitation_send", queue, invitation.id)

    def token_made() -> bool:
        invitation.refresh_from_db()
        return invitation.token_hash != "pending-placeholder"

    _wait_for(token_made, process)
    assert len(invitation.token_hash) == 64
    assert invitation.token_hash != hash_token("")
