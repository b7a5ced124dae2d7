"""The audit trail detects every kind of tampering and names the sequence number (AUD-03/04).

Events are chained by the sealer after they commit (audit/sealer.py); `_events` seals what it
recorded, so every attack below is on sealed events.

Tampering needs the trigger out of the way; a database superuser can do that (the
production application role cannot: docs/SECURITY.md), so the tests do it the same way,
inside the test's own transaction."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

import audit
from audit.models import AuditEvent, AuditSeal
from audit.sealer import seal
from audit.services import verify_chain, verify_chain_report

pytestmark = pytest.mark.django_db


def _events(n: int = 10) -> list[AuditEvent]:
    """n events, recorded and then sealed."""
    events = [
        audit.record(
            "test.event", changes={"n": i}, target_type="t", target_code=str(i)
        )
        for i in range(n)
    ]
    seal()
    return events


def _as_superuser_without_triggers(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def _verify_fails_naming(seq: int) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify")
    assert f"first bad sequence number {seq}" in str(failure.value)
    return str(failure.value)


def test_two_hundred_events_verify(capsys):
    _events(200)
    assert verify_chain() == []
    call_command("audit_verify")
    assert "intact: 200 events" in capsys.readouterr().out


def test_an_edited_row_is_named():
    events = _events()
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET action = 'user.role_change' WHERE seq = %s",
        [events[4].seq],
    )
    _verify_fails_naming(events[4].seq)


def test_an_edited_row_with_a_recomputed_plain_hash_is_still_caught():
    import hashlib

    events = _events()
    forged = hashlib.sha256(b"whatever").hexdigest()
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET action = 'x', hash = %s WHERE seq = %s",
        [forged, events[3].seq],
    )
    report = verify_chain_report()
    assert report["first_bad_seq"] == events[3].seq


def test_a_deleted_row_is_named():
    events = _events()
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditevent WHERE seq = %s", [events[5].seq]
    )
    message = _verify_fails_naming(events[5].seq)
    assert message


def test_a_row_deleted_with_its_seal_breaks_the_chain_at_the_next_event():
    events = _events()
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditseal WHERE event_id = %s", [events[5].pk]
    )
    _as_superuser_without_triggers(
        "DELETE FROM audit_auditevent WHERE seq = %s", [events[5].seq]
    )
    assert any(
        p.startswith(f"seq {events[6].seq}: chain positions") for p in verify_chain()
    )
    _verify_fails_naming(events[6].seq)


@pytest.mark.django_db(transaction=True)
def test_a_deleted_seal_is_named_and_its_event_is_not_sealed_again():
    import time

    events = [audit.record("test.event", changes={"n": i}) for i in range(10)]
    # Each event committed on its own; wait until the sealer's horizon is past them (other
    # transactions on the server may hold it back for a moment).
    deadline = time.monotonic() + 30
    while AuditSeal.objects.order_by("-position").first().horizon <= events[-1].xid:
        assert time.monotonic() < deadline, "the sealer's horizon never moved on"
        audit.record("test.later")
        time.sleep(0.05)
    with transaction.atomic():
        _as_superuser_without_triggers(
            "DELETE FROM audit_auditseal WHERE event_id = %s", [events[5].pk]
        )
    seal()  # the event is older than the sealer's horizon: not sealed a second time

    assert not AuditSeal.objects.filter(event=events[5]).exists()
    problems = verify_chain()
    assert any(
        p.startswith(f"seq {events[5].seq}: committed before the sealer's horizon")
        for p in problems
    ), problems
    assert any(
        p.startswith(f"seq {events[6].seq}: chain positions") for p in problems
    ), problems


def test_an_inserted_row_is_named():
    events = _events()
    victim = events[6]
    # Make room: shift every later row up by one, then slip a forged row into the gap.
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= %s", [victim.seq]
    )
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET seq = seq - 999 WHERE seq >= %s",
        [victim.seq + 1000],
    )
    _as_superuser_without_triggers(
        "INSERT INTO audit_auditevent (seq, at, actor_email, action, target_type,"
        " target_code, changes, prev_hash, hash, request_id)"
        " VALUES (%s, now(), '', 'user.reactivate', '', '', '{}', %s, %s, '')",
        [victim.seq, events[5].hash, "0" * 64],
    )
    _verify_fails_naming(victim.seq)


def test_reordered_rows_are_named():
    events = _events()
    a, b = events[2].seq, events[3].seq
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET seq = CASE WHEN seq = %s THEN %s + 100000 ELSE %s END"
        " WHERE seq IN (%s, %s)",
        [a, b, a, a, b],
    )
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [b, b + 100000]
    )
    _verify_fails_naming(a)


def test_the_application_cannot_update_delete_or_truncate():
    (event,) = _events(1)
    for sql in (
        "UPDATE audit_auditevent SET action = 'x'",
        "DELETE FROM audit_auditevent",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL ipnb.allow_audit_truncate = off")
        cursor.execute("TRUNCATE audit_auditevent")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.action = "edited"
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    for sql in (
        "UPDATE audit_auditseal SET hash = 'x'",
        "DELETE FROM audit_auditseal",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL ipnb.allow_audit_truncate = off")
        cursor.execute("TRUNCATE audit_auditseal")


def test_the_nightly_task_records_its_verdict(caplog):
    from audit.tasks import audit_verify

    events = _events(3)
    assert audit_verify.delay().get()["ok"] is True
    _as_superuser_without_triggers(
        "UPDATE audit_auditevent SET target_code = 'z' WHERE seq = %s", [events[1].seq]
    )
    result = audit_verify.delay().get()
    assert result == {
        "ok": False,
        "events": result["events"],
        "first_bad_seq": events[1].seq,
    }
    assert any("audit chain broken" in r.getMessage() for r in caplog.records)
    verdicts = AuditEvent.objects.filter(action="audit.verify").order_by("seq")
    assert [v.changes["ok"] for v in verdicts] == [True, False]


def test_the_nightly_task_is_scheduled():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["audit-verify-nightly"]
    assert entry["task"] == "audit.tasks.audit_verify"


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    errors = []

    def worker(n):
        try:
            for i in range(10):
                audit.record("test.concurrent", changes={"w": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + 80))
    # Sealed after each commit (no broker in the tests): one chain, no fork, no gap.
    positions = list(
        AuditSeal.objects.order_by("position").values_list("position", flat=True)
    )
    assert positions == list(range(1, 81))
    assert verify_chain() == []
