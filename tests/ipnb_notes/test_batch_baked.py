"""batch.run sends a page's reads in one round trip as prepared statements; batch.Baked builds
a page's querysets once per shape and puts each request's values into them. A baked queryset
must read exactly what the plain one reads, for every reader and every moment, and refuse
what it cannot bake."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User, link_is_current
from clients.models import CaseAssignment, Client, EmergencyAccess
from ipnb_notes import access, batch, clock
from sessions.models import TherapySession
from tests.factories import make_client, make_session


def _sessions_of(user: User, since: datetime):
    return (
        access.visible_sessions(user)
        .filter(therapist=user, starts_at__gte=since)
        .select_related("client")
        .order_by("starts_at")
    )


_SESSIONS = batch.Baked(lambda user, since: [_sessions_of(user, since)])


@pytest.fixture
def two_caseloads(alice, charlie):
    now = timezone.now()
    mine = make_client(alice, legal_name="Mine Client")
    theirs = make_client(charlie, legal_name="Their Client")
    for days in (1, 10, 40):
        make_session(mine, alice, starts_at=now - timedelta(days=days))
        make_session(theirs, charlie, starts_at=now - timedelta(days=days))
    return mine, theirs


def test_a_baked_queryset_reads_what_the_plain_one_reads_for_each_reader(
    two_caseloads, alice, charlie
):
    mine, theirs = two_caseloads
    since = timezone.now() - timedelta(days=20)
    for user, client in ((alice, mine), (charlie, theirs), (alice, mine)):
        [baked] = batch.fetch(*_SESSIONS(user, since))
        plain = list(_sessions_of(user, since))
        assert [s.pk for s in baked] == [s.pk for s in plain]
        assert len(baked) == 2
        assert {s.client.legal_name for s in baked} == {client.legal_name}
    # Another moment: the values change, the statement does not.
    [older] = batch.fetch(*_SESSIONS(alice, since - timedelta(days=30)))
    assert len(older) == 3


def test_the_reader_is_a_value_not_part_of_the_shape(two_caseloads, alice, charlie):
    """Two readers of the same role share one baked statement; each gets their own rows."""
    since = timezone.now() - timedelta(days=100)
    baked = batch.Baked(lambda user, since: [_sessions_of(user, since)])
    [a] = baked(alice, since)
    [c] = baked(charlie, since)
    assert a.sql == c.sql
    assert a.params != c.params
    assert alice.pk in a.params and charlie.pk not in a.params
    assert len(baked._shapes) == 1


def test_a_role_is_part_of_the_shape(two_caseloads, alice, bob):
    since = timezone.now() - timedelta(days=100)
    baked = batch.Baked(lambda user, since: [_sessions_of(user, since)])
    baked(alice, since)
    baked(bob, since)
    assert len(baked._shapes) == 2


def test_the_clock_is_each_requests_own(alice):
    """Access rules read the current moment through ipnb_notes.clock: a link that ended
    after the statement was baked is no longer in force for the next request."""
    client = make_client(alice)
    baked = batch.Baked(
        lambda client_id: [
            CaseAssignment.objects.filter(link_is_current(), client_id=client_id)
        ]
    )
    [current] = batch.fetch(*baked(client.pk))
    assert len(current) == 1
    CaseAssignment.objects.filter(client=client).update(
        ended_at=timezone.now() - timedelta(seconds=1)
    )
    [after] = batch.fetch(*baked(client.pk))
    assert after == []


def test_a_moment_before_now_follows_the_clock(alice, charlie):
    """A grant 30 days old less a second is recent, a second later it is not: the baked
    statement's "30 days ago" is each request's own (grants are append-only)."""
    client = make_client(alice)
    granted = timezone.now() - timedelta(days=30) + timedelta(seconds=1)
    grant = EmergencyAccess.objects.create(
        user=charlie,
        client=client,
        reason="Client in crisis, therapist unreachable",
        granted_at=granted,
        expires_at=granted + timedelta(hours=4),
    )
    baked = batch.Baked(
        lambda: [
            EmergencyAccess.objects.filter(
                granted_at__gte=clock.ago(timedelta(days=30))
            )
        ]
    )
    assert [g.pk for g in batch.fetch(*baked())[0]] == [grant.pk]
    time.sleep(
        max(0.0, (granted - (timezone.now() - timedelta(days=30))).total_seconds())
        + 0.05
    )
    assert batch.fetch(*baked())[0] == []


def test_a_value_computed_inside_the_builder_is_refused(alice):
    baked = batch.Baked(
        lambda user, since: [_sessions_of(user, since - timedelta(days=1))]
    )
    with pytest.raises(ValueError, match="computed from a value"):
        baked(alice, timezone.now())


def test_a_statement_whose_text_depends_on_a_value_is_refused(db):
    baked = batch.Baked(lambda n: [Client.objects.order_by("pk")[:n]])
    with pytest.raises(ValueError, match="SQL depends on a value"):
        baked(5)
    # As shape, by keyword, it is baked once per value.
    by_shape = batch.Baked(lambda *, n: [Client.objects.order_by("pk")[:n]])
    by_shape(n=5)
    by_shape(n=5)
    by_shape(n=6)
    assert len(by_shape._shapes) == 2


def test_a_clock_value_computed_inside_the_builder_is_refused(db):
    baked = batch.Baked(
        lambda: [
            EmergencyAccess.objects.filter(granted_at__gte=clock.now() - timedelta(1))
        ]
    )
    with pytest.raises(ValueError, match="computed from a value"):
        baked()


def test_booleans_and_naive_datetimes_are_refused(db):
    baked = batch.Baked(lambda flag: [User.objects.filter(is_active=flag)])
    with pytest.raises(TypeError, match="bool"):
        baked(True)
    naive = batch.Baked(lambda at: [TherapySession.objects.filter(starts_at__gte=at)])
    with pytest.raises(TypeError, match="aware"):
        naive(datetime(2026, 1, 1))


def test_a_related_managers_queryset_is_refused(alice):
    relation = next(
        (r for r in User._meta.related_objects if r.related_model is TherapySession),
        None,
    )
    assert relation is not None
    baked = batch.Baked(
        lambda user: [getattr(user, relation.get_accessor_name()).all()]
    )
    with pytest.raises(ValueError, match="related manager"):
        baked(alice)


def test_verification_names_a_builder_that_drifts(settings, two_caseloads, alice):
    """Under tests every call is also built the plain way: a builder that no longer builds
    what was baked fails loudly."""
    settings.BATCH_VERIFY_BAKED = True
    state = {"status": TherapySession.Status.ATTENDED}
    baked = batch.Baked(
        lambda user: [
            TherapySession.objects.filter(therapist=user, status=state["status"])
        ]
    )
    baked(alice)
    state["status"] = TherapySession.Status.CANCELLED
    with pytest.raises(AssertionError, match="differs from its plain build"):
        baked(alice)


def test_baked_and_plain_querysets_share_one_round_trip(two_caseloads, alice):
    since = timezone.now() - timedelta(days=100)
    with CaptureQueriesContext(connection) as ctx:
        baked, plain = batch.fetch(
            *_SESSIONS(alice, since), Client.objects.order_by("pk")
        )
    assert len(ctx.captured_queries) == 1
    assert len(baked) == 3 and len(plain) == 2
    # The query log shows every statement with its values.
    assert str(alice.pk) in ctx.captured_queries[0]["sql"]


def test_run_prepares_its_statements_on_the_connection(two_caseloads):
    sql = 'SELECT "legal_name" FROM "clients_client" WHERE "id" = %s'
    mine, theirs = two_caseloads
    ([cols, rows],) = batch.run([(sql, [mine.pk])])
    assert cols == ["legal_name"] and [r[0] for r in rows] == [mine.legal_name]
    ([_, rows],) = batch.run([(sql, [theirs.pk])])
    assert [r[0] for r in rows] == [theirs.legal_name]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "clients_client" WHERE "id" = $1%'],
        )
        assert cursor.fetchone()[0] == 1


def test_run_takes_named_parameters_and_several_statements(two_caseloads):
    mine, _ = two_caseloads
    results = batch.run(
        [
            ("SELECT %(a)s::int + 1 AS n", {"a": 41, "unused": "x"}),
            (
                'SELECT "id" FROM "clients_client" WHERE "id" = %(id)s',
                {"id": mine.pk},
            ),
        ]
    )
    assert results == [(["n"], [(42,)]), (["id"], [(mine.pk,)])]


def test_a_failing_statement_raises_a_database_error_and_the_connection_recovers(db):
    with pytest.raises(DatabaseError), transaction.atomic():
        batch.run([("SELECT 1 / %s", [0])])
    assert batch.run([("SELECT %s::int AS n", [7])]) == [(["n"], [(7,)])]


def test_a_rule_that_can_match_nothing_reads_nothing_without_a_statement(ada):
    """An administrator reads no clinical record: the rule is empty, no statement is sent."""
    baked = batch.Baked(
        lambda user: [access.visible_clients(user), Client.objects.all()]
    )
    make_client()
    with CaptureQueriesContext(connection) as ctx:
        empty, every = batch.fetch(*baked(ada))
    assert empty == [] and len(every) == 1
    assert len(ctx.captured_queries) == 1
    assert "clients_client" in ctx.captured_queries[0]["sql"]
    assert ";" not in ctx.captured_queries[0]["sql"]
