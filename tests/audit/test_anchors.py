"""The chain head anchored off the database host (AUD-04): cutting off the newest rows (events
and their seals) keeps the remaining chain consistent, so only the anchor shows it; the
verifier names the sequence number, and a forged anchor is caught by its MAC."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent, AuditSeal
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
    head = AuditSeal.objects.get(event=events[-1])
    assert AuditSeal.objects.order_by("-position").first() == head
    assert anchor["seq"] == events[-1].seq
    assert anchor["position"] == head.position
    assert anchor["hash"] == head.hash
    assert len(anchor["mac"]) == 64


def _cut_tail_from(seq: int) -> None:
    """What an intruder with the owner's rights does to hide the newest events: delete
    them and their seals, leaving a consistent, shorter chain."""
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditseal WHERE event_seq >= %s", [seq]
    )
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditevent WHERE seq >= %s", [seq]
    )


def test_a_truncated_tail_is_named_by_the_anchor(anchor_file):
    events = _events(10)
    audit_verify.delay().get()
    anchored = events[-1].seq
    _cut_tail_from(events[7].seq)

    assert verify_chain() == []  # what is left is a consistent chain
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert "first bad sequence number" in str(failure.value)
    assert not AuditEvent.objects.filter(seq=anchored).exists()


def test_the_truncation_message_names_the_anchored_sequence(anchor_file, capsys):
    events = _events(4)
    audit_verify.delay().get()
    _cut_tail_from(events[3].seq)

    with pytest.raises(CommandError):
        call_command("audit_verify")

    assert f"seq {events[3].seq}: anchored on" in capsys.readouterr().err, (
        "the problem names the anchored row"
    )


def test_a_rewritten_anchored_row_is_detected(anchor_file, capsys):
    events = _events(3)
    audit_verify.delay().get()
    _as_superuser_without_triggers(
        "UPDATE audit_auditseal SET hash = %s WHERE event_seq = %s",
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


def test_no_anchor_file_and_no_anchor_ever_written_means_no_anchor_checks(settings):
    """Development and test; production refuses to start without AUDIT_ANCHOR_FILE."""
    settings.AUDIT_ANCHOR_FILE = None
    _events(3)

    assert audit_verify.delay().get()["ok"] is True
    call_command("audit_verify")


def test_each_anchor_write_is_audited_with_its_number(anchor_file):
    _events(2)
    audit_verify.delay().get()
    _events(1)
    audit_verify.delay().get()

    assert [a["n"] for a in _anchors(anchor_file)] == [1, 2]
    assert [
        e.changes["n"] for e in AuditEvent.objects.filter(action="audit.anchor")
    ] == [1, 2]


def _verification_fails(capsys, message: str) -> None:
    with pytest.raises(CommandError):
        call_command("audit_verify")
    assert message in capsys.readouterr().err


def test_a_missing_anchor_file_fails_verification(anchor_file, capsys):
    _events(2)
    audit_verify.delay().get()
    anchor_file.unlink()

    _verification_fails(capsys, "is missing, but 1 anchor(s) were written")


def test_an_unreadable_anchor_file_fails_verification(anchor_file, capsys):
    _events(2)
    audit_verify.delay().get()
    anchor_file.unlink()
    anchor_file.mkdir()  # reading it fails even for root, unlike a chmod

    _verification_fails(capsys, "cannot be read")


def test_a_shortened_anchor_file_fails_verification(anchor_file, capsys):
    """Removing the newest anchors (and so the evidence of a cut tail) is itself detected."""
    _events(2)
    for _ in range(3):
        audit_verify.delay().get()
    lines = anchor_file.read_text().splitlines()
    anchor_file.write_text("\n".join(lines[:1]) + "\n")

    _verification_fails(capsys, "lacks 2 of the 3 anchor(s) written")


def test_an_anchor_removed_from_the_middle_fails_verification(anchor_file, capsys):
    _events(2)
    for _ in range(3):
        audit_verify.delay().get()
    first, _, last = anchor_file.read_text().splitlines()
    anchor_file.write_text(first + "\n" + last + "\n")

    _verification_fails(capsys, "first missing: number 2")


def test_unsetting_the_anchor_file_after_anchors_were_written_fails(
    anchor_file, settings, capsys
):
    _events(2)
    audit_verify.delay().get()
    settings.AUDIT_ANCHOR_FILE = None

    _verification_fails(capsys, "AUDIT_ANCHOR_FILE is unset, but 1 anchor(s)")


def test_a_broken_chain_is_not_anchored(anchor_file):
    events = _events(3)
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = %s", [events[1].seq]
    )

    assert audit_verify.delay().get()["ok"] is False
    assert not anchor_file.exists()
