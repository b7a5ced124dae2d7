"""Audit events also leave the host as JSON lines on syslog (AUD-06)."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings

import audit

pytestmark = pytest.mark.django_db


def test_the_syslog_handler_is_configured_when_an_address_is_given():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "AUDIT_SYSLOG_ADDRESS": "127.0.0.1:5514",
        "DJANGO_SETTINGS_MODULE": "ipnb_notes.settings",
    }
    code = (
        "import django, logging; django.setup();"
        "h = logging.getLogger('ipnb_notes.audit').handlers;"
        "print([type(x).__name__ for x in h], [getattr(x, 'address', None) for x in h])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=settings.BASE_DIR,
    ).stdout
    assert "SysLogHandler" in out
    assert "('127.0.0.1', 5514)" in out


def test_a_committed_event_arrives_at_a_syslog_listener(
    django_capture_on_commit_callbacks, alice
):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    handler = logging.handlers.SysLogHandler(address=listener.getsockname())
    logger = logging.getLogger("ipnb_notes.audit")
    logger.addHandler(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = audit.record("user.role_change", actor=alice, target=alice)
        datagram = listener.recv(65536).decode()
    finally:
        logger.removeHandler(handler)
        handler.close()
        listener.close()
    payload = json.loads(datagram[datagram.index("{") :].rstrip("\x00"))
    assert payload["seq"] == event.seq
    assert payload["action"] == "user.role_change"
    assert payload["hash"] == event.hash


def test_a_rolled_back_event_is_not_streamed(alice, caplog):
    from django.db import transaction

    caplog.set_level(logging.INFO, logger="ipnb_notes.audit")
    try:
        with transaction.atomic():
            audit.record("user.role_change", actor=alice, target=alice)
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert not [r for r in caplog.records if r.name == "ipnb_notes.audit"]
