"""The chain head anchored off the database host (AUD-04): cutting off the newest rows keeps
the remaining chain consistent, so only the anchor shows it; the verifier names the sequence
number, and a forged anchor is caught by its MAC."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from audit.services import verify_chain
from audit.tasks import audit_verify
from tests.audit.test_tamper import _as_superuser_without_triggers, _events

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchor_file(settings, tmp_path):
    path = tmp_path / "offsite" / "audit-anchors.jsonl"
    path.parent.mkdir()
    settings.AUDIT_ANCHOR_FILE = str(path)
    return path


def _anchors(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_nightly_verification_anchors_the_chain_head(anchor_file):
    events = _events(5)

    assert audit_verify.delay().get()["ok"] is True

    [anchor] = _anchors(anchor_file)
    assert anchor["seq"] == events[-1].seq
    assert anchor["hash"] == events[-1].hash
    assert len(anchor["mac"]) == 64


def test_a_truncated_tail_is_named_by_the_anchor(anchor_file):
    events = _events(10)
    audit_verify.delay().get()
    anchored = events[-1].seq
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditevent WHERE seq >= %s", [events[7].seq]
    )

    assert verify_chain() == []  # what is left is a consistent chain
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert "first bad sequence number" in str(failure.value)
    assert not AuditEvent.objects.filter(seq=anchored).exists()


def test_the_truncation_message_names_the_anchored_sequence(anchor_file, capsys):
    events = _events(4)
    audit_verify.delay().get()
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditevent WHERE seq >= %s", [events[3].seq]
    )

    with pytest.raises(CommandError):
        call_command("audit_verify")

    assert f"seq {events[3].seq}: anchored on" in capsys.readouterr().err, (
        "the problem names the anchored row"
    )


def test_a_rewritten_anchored_row_is_detected(anchor_file, capsys):
    events = _events(3)
    audit_verify.delay().get()
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET hash = %s WHERE seq = %s",
        ["0" * 64, events[2].seq],
    )

    with pytest.raises(CommandError):
        call_command("audit_verify")

    assert (
        f"seq {events[2].seq}: hash differs from the anchor" in capsys.readouterr().err
    )


def test_a_forged_anchor_is_caught(anchor_file, capsys):
    _events(3)
    audit_verify.delay().get()
    [anchor] = _anchors(anchor_file)
    anchor["seq"] = 1  # moved back to hide later rows
    anchor_file.write_text(json.dumps(anchor) + "\n")

    with pytest.raises(CommandError):
        call_command("audit_verify")

    assert "seq 1: the anchor of" in capsys.readouterr().err


def test_an_unreadable_anchor_line_is_reported(anchor_file, capsys):
    _events(2)
    anchor_file.write_text("not json\n")

    with pytest.raises(CommandError):
        call_command("audit_verify")

    assert "anchor file line 1 is unreadable" in capsys.readouterr().err


def test_no_anchor_file_configured_means_no_anchor_checks(settings):
    settings.AUDIT_ANCHOR_FILE = None
    _events(3)

    assert audit_verify.delay().get()["ok"] is True
    call_command("audit_verify")


def test_a_broken_chain_is_not_anchored(anchor_file):
    events = _events(3)
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = %s", [events[1].seq]
    )

    assert audit_verify.delay().get()["ok"] is False
    assert not anchor_file.exists()
