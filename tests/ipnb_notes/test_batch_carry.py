"""A request's audit event rides with the page's reads (batch.carry): queued, it goes at the
head of the next batch round trip made in the request's transaction state, or at the
request's end; never inside a transaction the request opened after queuing it, never twice,
never lost when the reads fail."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from ipnb_notes import batch
from tests.factories import make_client, make_session

INSERT = "INSERT INTO carry_probe (v) VALUES (%s) RETURNING id"


@pytest.fixture
def probe(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE carry_probe (id serial PRIMARY KEY, v text)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS carry_probe")


def _values() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM carry_probe ORDER BY id")
        return [v for (v,) in cursor.fetchall()]


def test_outside_a_request_nothing_is_queued(probe):
    assert batch.carry(INSERT, ["x"], lambda rows: None) is False
    assert _values() == []


def test_a_queued_write_rides_at_the_head_of_the_next_round_trip(probe):
    got = []
    with batch.carrying():
        assert batch.carry(INSERT, ["read"], got.append)
        assert _values() == []  # not sent yet
        with CaptureQueriesContext(connection) as ctx:
            [(_, rows)] = batch.run([("SELECT v FROM carry_probe", [])])
        assert len(ctx.captured_queries) == 1
        assert ctx.captured_queries[0]["sql"].startswith("INSERT INTO carry_probe")
        # The read after the write in the same round trip sees it.
        assert rows == [("read",)]
        assert len(got) == 1 and got[0][0][0] > 0
        batch.run([("SELECT 1", [])])  # sent once
    assert _values() == ["read"]


def test_what_no_read_took_goes_at_the_end(probe):
    got = []
    with CaptureQueriesContext(connection) as ctx, batch.carrying():
        batch.carry(INSERT, ["a"], got.append)
        batch.carry(INSERT, ["b"], got.append)
    assert len(ctx.captured_queries) == 1
    assert len(got) == 2
    assert _values() == ["a", "b"]


def test_a_write_never_rides_in_a_transaction_opened_after_it(probe):
    with batch.carrying():
        batch.carry(INSERT, ["read"], lambda rows: None)
        try:
            with transaction.atomic():
                batch.run([("SELECT 1", [])])
                assert _values() == []  # it did not ride in this transaction
                raise RuntimeError("the write fails")
        except RuntimeError:
            pass
        # Queued inside a block the request opened: goes now, not queued.
        with transaction.atomic():
            assert batch.carry(INSERT, ["inner"], lambda rows: None) is False
    assert _values() == ["read"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_read_does_not_lose_the_write(probe):
    """As a practice runs it (no transaction block): the reads fail, their implicit
    transaction rolls the write back with them, and the request's end sends it again."""
    with batch.carrying():
        batch.carry(INSERT, ["read"], lambda rows: None)
        with pytest.raises(DatabaseError):
            batch.run([("SELECT 1 / (0 * %s::int)", [1])])
    assert _values() == ["read"]


def test_in_a_failed_transaction_the_write_is_dropped_with_it(probe):
    with pytest.raises(DatabaseError), transaction.atomic():
        with batch.carrying():
            batch.carry(INSERT, ["read"], lambda rows: None)
            with pytest.raises(DatabaseError):
                batch.run([("SELECT 1 / (0 * %s::int)", [1])])
            # carrying's end does not send into the failed transaction
        raise DatabaseError("the transaction rolls back")
    assert _values() == []


def test_a_page_records_its_read_without_a_round_trip_of_its_own(client, alice):
    patient = make_client(alice)
    session = make_session(patient, alice)
    client.force_login(alice)
    url = reverse("sessions:session_detail", args=[session.code])
    client.get(url)
    before = AuditEvent.objects.filter(action="session.view").count()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    audit_inserts = [
        q["sql"]
        for q in ctx.captured_queries
        if 'INSERT INTO "audit_auditevent"' in q["sql"]
    ]
    # One INSERT, in a round trip that also holds the page's reads.
    assert len(audit_inserts) == 1
    assert "SELECT" in audit_inserts[0]
    event = AuditEvent.objects.filter(action="session.view").latest("seq")
    assert AuditEvent.objects.filter(action="session.view").count() == before + 1
    assert event.target_code == str(session.code)
    assert event.actor_id == alice.pk
