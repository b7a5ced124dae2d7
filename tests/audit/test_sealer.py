"""Audit appends never queue (AUD-03): a request records its event with one INSERT in its own
transaction, taking no lock another request takes; the sealer (audit/sealer.py) chains the
committed events afterwards, each exactly once, in commit-safe order.

The concurrent tests use real threads, each with its own PostgreSQL connection, and commit."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

import audit
from audit.models import AuditEvent, AuditSeal
from audit.sealer import seal
from audit.services import verify_chain, verify_chain_report
from tests.audit.test_tamper import _as_superuser_without_triggers, _verify_fails_naming


@pytest.fixture
def no_seal_on_commit(settings):
    """As in production with a broker: requests only insert; the sealer runs on its own."""
    settings.AUDIT_SEAL_AFTER_COMMIT = False


def _run(target, *args) -> threading.Thread:
    def wrapped():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread


@pytest.mark.django_db
def test_recording_an_event_is_one_insert_and_no_lock(no_seal_on_commit, alice, rf):
    request = rf.get("/")
    request.user = alice
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        event = audit.record("client.view", request=request, target=alice)

    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1, statements
    assert statements[0].startswith('INSERT INTO "audit_auditevent"')
    assert "lock" not in statements[0].lower()
    assert event.seq and event.xid and event.hash
    assert not AuditSeal.objects.filter(event=event).exists()


@pytest.mark.django_db(transaction=True)
def test_a_writer_never_waits_for_another_writers_open_transaction(no_seal_on_commit):
    recorded, release = threading.Event(), threading.Event()
    failures = []

    def slow_request():
        try:
            with transaction.atomic():
                audit.record("test.slow_request")
                recorded.set()
                release.wait(30)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    slow = _run(slow_request)
    try:
        assert recorded.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        started = time.monotonic()
        with transaction.atomic():
            fast = audit.record("test.fast_request")
        assert time.monotonic() - started < 1.5
    finally:
        release.set()
        slow.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert not failures
    assert AuditEvent.objects.filter(pk=fast.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_began_first_and_commits_last_is_sealed(no_seal_on_commit):
    recorded, release = threading.Event(), threading.Event()
    early = {}

    def long_transaction():
        with transaction.atomic():
            early["event"] = audit.record("test.began_first")
            recorded.set()
            release.wait(30)

    holder = _run(long_transaction)
    try:
        assert recorded.wait(30)
        later = [
            audit.record("test.committed_first", changes={"i": i}) for i in range(20)
        ]
        assert seal() == 20
        report = verify_chain_report()
        assert report["problems"] == []
        # The open transaction's event is invisible to everyone else until it commits.
        assert (report["sealed"], report["unsealed"]) == (20, 0)
    finally:
        release.set()
        holder.join()

    first = early["event"]
    assert first.pk < min(e.pk for e in later)
    assert first.xid < min(e.xid for e in later)
    assert seal() == 1
    assert AuditSeal.objects.get(event=first).position == 21
    assert AuditSeal.objects.count() == AuditEvent.objects.count() == 21
    assert seal() == 0
    assert verify_chain() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_are_all_sealed_exactly_once_in_a_stable_order(
    no_seal_on_commit,
):
    writers, per_writer = 8, 500
    done = threading.Event()
    failures, passes = [], []

    def writer(n):
        try:
            for i in range(per_writer):
                if i % 50 == 0:
                    # Some events share a transaction with others, some commit alone.
                    with transaction.atomic():
                        for _ in range(3):
                            audit.record("test.batch", changes={"w": n, "i": i})
                else:
                    audit.record("test.writer", changes={"w": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def sealer():
        try:
            while not done.is_set():
                passes.append(seal())
                time.sleep(0.01)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    sealers = [_run(sealer) for _ in range(2)]  # two sealers: one at a time seals
    threads = [_run(writer, n) for n in range(writers)]
    for thread in threads:
        thread.join()
    done.set()
    for thread in sealers:
        thread.join()
    assert not failures, failures
    assert sum(1 for n in passes if n) > 1, "the sealer ran while writers wrote"
    seal()

    total = writers * (per_writer + 2 * (per_writer // 50))
    assert AuditEvent.objects.count() == total
    seals = list(
        AuditSeal.objects.order_by("position").values_list("position", "event")
    )
    assert [p for p, _ in seals] == list(range(1, total + 1))
    assert len({e for _, e in seals}) == total  # no event sealed twice, none left out
    first = verify_chain_report()
    assert first["problems"] == []
    assert (first["sealed"], first["unsealed"]) == (total, 0)
    assert seal() == 0
    again = verify_chain_report()
    assert (again["head_position"], again["head_hash"]) == (
        first["head_position"],
        first["head_hash"],
    )


@pytest.mark.django_db(transaction=True)
def test_a_backlog_larger_than_a_batch_is_sealed_in_full(no_seal_on_commit):
    events = [audit.record("test.backlog", changes={"i": i}) for i in range(25)]

    assert seal(batch=7) == 25
    assert list(
        AuditSeal.objects.order_by("position").values_list("event_id", flat=True)
    ) == [e.pk for e in events]
    assert verify_chain() == []


@pytest.mark.django_db
def test_unsealed_events_are_reported_apart_not_as_breaks():
    audit.record("test.waiting")

    report = verify_chain_report()

    assert report["problems"] == []
    assert report["unsealed"] == 1


@pytest.mark.django_db
def test_a_forged_event_inserted_behind_the_application_is_named_sealed_or_not():
    audit.record("test.genuine")
    _as_superuser_without_triggers(
        "INSERT INTO audit_auditevent (at, actor_email, action, target_type,"
        " target_code, changes, prev_hash, hash, request_id)"
        " VALUES (now(), '', 'user.reactivate', '', '', '{}', '', %s, '')",
        ["f" * 64],
    )
    forged = AuditEvent.objects.get(action="user.reactivate")
    assert f"seq {forged.seq}: contents do not match" in " ".join(verify_chain())

    seal()  # the sealer chains what is there; the forgery still does not verify

    _verify_fails_naming(forged.seq)


@pytest.mark.django_db
def test_reordered_seals_are_named():
    events = [audit.record("test.event", changes={"i": i}) for i in range(6)]
    seal()
    a, b = (AuditSeal.objects.get(event=events[i]).position for i in (2, 3))
    _as_superuser_without_triggers(
        "UPDATE audit_auditseal SET position = CASE WHEN position = %s THEN %s"
        " ELSE %s END + 100000 WHERE position IN (%s, %s)",
        [a, b, a, a, b],
    )
    _as_superuser_without_triggers(
        "UPDATE audit_auditseal SET position = position - 100000 WHERE position > 100000"
    )

    _verify_fails_naming(events[2].seq)


@pytest.mark.django_db
def test_the_application_cannot_alter_a_seal():
    audit.record("test.event")
    seal()
    for sql in (
        "UPDATE audit_auditseal SET hash = repeat('0', 64)",
        "DELETE FROM audit_auditseal",
    ):
        with (
            pytest.raises(DatabaseError, match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
