"""batch.fetch takes raw SQL statements (batch.Raw) next to querysets: they ride in the same
round trip, each gives its rows as tuples, and the querysets around them fill as before. A
baked values() statement read plain (batch.plain) gives the rows fetch would give, as tuples."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from ipnb_notes import batch
from sessions.models import TherapySession
from tests.factories import make_client, make_session

SESSIONS = TherapySession._meta.db_table
CLIENTS = Client._meta.db_table


@pytest.fixture
def record(alice):
    client = make_client(alice, legal_name="Raw Client")
    now = timezone.now()
    for days in (1, 10):
        make_session(client, alice, starts_at=now - timedelta(days=days))
    return client


def test_raw_statements_and_querysets_share_one_round_trip(record):
    with CaptureQueriesContext(connection) as ctx:
        clients, counted, sessions, named = batch.fetch(
            Client.objects.filter(pk=record.pk),
            batch.Raw(
                f"SELECT count(*), max(starts_at) FROM {SESSIONS} WHERE client_id = %(c)s",
                {"c": record.pk},
            ),
            TherapySession.objects.filter(client=record).order_by("starts_at"),
            batch.Raw("SELECT %s::int + 1, %s::text", [41, "x"]),
        )
    assert len(ctx.captured_queries) == 1
    assert clients == [record]
    assert clients[0].legal_name == "Raw Client"  # a model instance, as before
    [(n, latest)] = counted
    assert n == 2 and latest == sessions[-1].starts_at
    assert [s.client_id for s in sessions] == [record.pk, record.pk]
    assert named == [(42, "x")]


def test_a_raw_statement_alone_and_one_without_rows(db):
    [rows] = batch.fetch(batch.Raw("SELECT 1 WHERE false"))
    assert rows == []
    [rows] = batch.fetch(batch.Raw("SELECT generate_series(1, 3)"))
    assert rows == [(1,), (2,), (3,)]


def test_a_raw_statement_is_prepared_like_the_others(record):
    sql = f"SELECT legal_name FROM {CLIENTS} WHERE id = %s AND 'raw-test' <> ''"
    for _ in range(2):
        [[(name,)]] = batch.fetch(batch.Raw(sql, [record.pk]))
        assert name == "Raw Client"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%'raw-test'%"],
        )
        assert cursor.fetchone()[0] == 1


def test_a_prepared_read_is_planned_once_for_all_its_executions(record):
    """A page's prepared read keeps one generic plan: PostgreSQL does not plan it again on
    every execution (its first five, and all of them when its estimates favour a custom plan,
    as they did for the homes' lists)."""
    sql = f"SELECT count(*) FROM {SESSIONS} WHERE starts_at > %s AND 'one-plan' <> ''"
    for days in range(8):
        batch.fetch(batch.Raw(sql, [timezone.now() - timedelta(days=days)]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%'one-plan'%"],
        )
        assert cursor.fetchone() == (8, 0)


def test_a_raw_statement_on_another_database_is_refused(db):
    with pytest.raises(ValueError, match="one database"):
        batch.fetch(Client.objects.all(), batch.Raw("SELECT 1", using="other"))


def test_a_failing_raw_statement_raises_a_database_error(db):
    with pytest.raises(DatabaseError), transaction.atomic():
        batch.fetch(Client.objects.all(), batch.Raw("SELECT 1 / %s", [0]))
    [[(n,)]] = batch.fetch(batch.Raw("SELECT %s::int", [7]))
    assert n == 7


_SESSION_ROWS = batch.Baked(
    lambda client_id: [
        TherapySession.objects.filter(client_id=client_id)
        .order_by("starts_at")
        .values("code", "starts_at", therapist_name=F("therapist__full_name"))
    ]
)


def test_a_baked_values_statement_read_plain_gives_the_rows_fetch_gives(record):
    [bound] = _SESSION_ROWS(record.pk)
    [dicts] = batch.fetch(bound)
    names = batch.plain_names(bound)
    assert names == ("code", "starts_at", "therapist_name")
    with CaptureQueriesContext(connection) as ctx:
        [tuples, clients] = batch.fetch(batch.plain(bound), Client.objects.all())
    assert len(ctx.captured_queries) == 1 and clients == [record]
    assert [dict(zip(names, row, strict=True)) for row in tuples] == dicts
    assert len(dicts) == 2


def test_plain_refuses_model_rows_and_converted_columns(record):
    models = batch.Baked(lambda client_id: [Client.objects.filter(pk=client_id)])
    counted = batch.Baked(
        lambda client_id: [
            TherapySession.objects.filter(client_id=client_id)
            .values("client_id")
            .annotate(n=Count("pk"))
            .values_list("n", flat=True)
        ]
    )
    encrypted = batch.Baked(
        lambda client_id: [
            Client.objects.filter(pk=client_id).values("presenting_concerns")
        ]
    )
    for baked in (models, counted, encrypted):
        [bound] = baked(record.pk)
        with pytest.raises(ValueError):
            batch.plain(bound)


def test_a_rule_that_matches_nothing_reads_plain_as_no_row(ada):
    from ipnb_notes import access

    baked = batch.Baked(lambda user: [access.visible_clients(user).values("code")])
    make_client()
    [bound] = baked(ada)
    [rows] = batch.fetch(batch.plain(bound))
    assert rows == []
