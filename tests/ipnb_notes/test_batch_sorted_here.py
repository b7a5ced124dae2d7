"""batch.sorted_here: a queryset read by batch.fetch without its ORDER BY and sorted in Python
comes out in the order PostgreSQL gives it, ties by id; orderings that might sort otherwise
in Python are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from ipnb_notes import batch
from sessions.capture import services as capture
from sessions.capture.services.events import open_ruptures
from sessions.models import AttunementMoment, RuptureEvent, SupervisionComment
from tests.factories import make_client, make_session


@pytest.fixture
def ruptures(alice):
    """Open ruptures over three sessions, several per session, minutes out of order."""
    record = make_client(alice)
    now = timezone.now()
    sessions = [
        make_session(record, alice, starts_at=now - timedelta(days=days, minutes=5))
        for days in (14, 0, 7)
    ]
    for session in sessions:
        for minute in (12, 3, 12, 30, 7):
            capture.event_create(
                session=session, tag="rupture-withdrawal", minute=minute, by=alice
            )
    return record, sessions


def test_rows_come_in_the_order_postgresql_gives(ruptures):
    record, sessions = ruptures
    queryset = open_ruptures(record)
    expected = list(queryset)  # ordered by PostgreSQL
    assert len(expected) == 15
    with CaptureQueriesContext(connection) as queries:
        (rows,) = batch.fetch(batch.sorted_here(queryset))
    assert [r.pk for r in rows] == [r.pk for r in expected]
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]
    # Newest session first, then the latest minute, then the latest tagged.
    assert rows[0].session == max(sessions, key=lambda s: s.starts_at)
    assert [r.minute for r in rows[:5]] == [30, 12, 12, 7, 3]
    assert rows[1].created_at > rows[2].created_at


def test_a_model_default_ordering_and_ties_by_id(ruptures, alice):
    record, sessions = ruptures
    session = sessions[0]
    for _ in range(3):
        capture.event_create(session=session, tag="match", minute=5, by=alice)
    moments = AttunementMoment.objects.filter(session=session)
    # Equal minute and creation time: PostgreSQL may give them in any order; here, by id.
    moments.update(created_at=timezone.now())
    (rows,) = batch.fetch(batch.sorted_here(moments))
    assert [r.pk for r in rows] == sorted(r.pk for r in moments)
    # Mixed with ordered querysets in the same round trip.
    with CaptureQueriesContext(connection) as queries:
        sorted_rows, ordered = batch.fetch(
            batch.sorted_here(RuptureEvent.objects.filter(session=session)),
            RuptureEvent.objects.filter(session=session),
        )
    assert len(queries) == 1
    assert [r.pk for r in sorted_rows] == [r.pk for r in ordered]


@pytest.mark.parametrize(
    "queryset",
    [
        pytest.param(lambda: Client.objects.all(), id="text (collation)"),
        pytest.param(
            lambda: SupervisionComment.objects.order_by("resolved_at"), id="nullable"
        ),
        pytest.param(
            lambda: RuptureEvent.objects.order_by("session__starts_at"),
            id="a relation not selected",
        ),
        pytest.param(
            lambda: RuptureEvent.objects.order_by("session"), id="a relation itself"
        ),
        pytest.param(lambda: RuptureEvent.objects.all()[:5], id="sliced"),
        pytest.param(lambda: RuptureEvent.objects.values("minute"), id="values"),
        pytest.param(lambda: RuptureEvent.objects.order_by(), id="no ordering"),
        pytest.param(
            lambda: RuptureEvent.objects.order_by("minute").reverse(), id="reversed"
        ),
    ],
)
def test_orderings_that_might_sort_otherwise_are_refused(db, queryset):
    with pytest.raises(ValueError):
        batch.sorted_here(queryset())
