"""batch.statement and batch.filled: a baked statement read as a raw one in fetch's round trip
gives, once filled, exactly what fetch gives for it (model instances, their select_related
objects, a prefetch), and an empty list when it returned no row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ipnb_notes import batch
from sessions.models import TherapySession
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db


def _lists(user, since):
    mine = TherapySession.objects.filter(therapist=user)
    return [
        mine.filter(starts_at__gte=since)
        .select_related("client")
        .only("code", "starts_at", "client", "client__code", "client__legal_name")
        .order_by("-starts_at"),
        mine.filter(starts_at__lt=since).select_related("client").order_by("starts_at"),
        batch.sorted_here(mine.filter(starts_at__gte=since).order_by("starts_at")),
        TherapySession.objects.none(),
        mine.filter(starts_at__gte=since).prefetch_related("ruptures"),
    ]


_LISTS = batch.Baked(_lists)


def test_filled_gives_what_fetch_gives(alice, charlie):
    now = timezone.now()
    mine = make_client(alice, legal_name="Mine Client")
    for days in (1, 3, 10):
        make_session(mine, alice, starts_at=now - timedelta(days=days))
    make_session(make_client(charlie), charlie, starts_at=now - timedelta(days=2))
    since = now - timedelta(days=5)
    expected = batch.fetch(*_LISTS(alice, since))
    bound = _LISTS(alice, since)
    with CaptureQueriesContext(connection) as ctx:
        rows = batch.fetch(*(batch.statement(b) for b in bound))
        got = [batch.filled(b, r) for b, r in zip(bound, rows, strict=True)]
    # One round trip for the lists, one for the prefetch of the list that has rows.
    assert len(ctx) == 2
    assert [len(r) for r in got] == [2, 1, 2, 0, 2]
    for mine_, theirs in zip(got, expected, strict=True):
        assert [type(o) for o in mine_] == [type(o) for o in theirs]
        assert [o.pk for o in mine_] == [o.pk for o in theirs]
    newest, _older, oldest_first, _none, prefetched = got
    assert newest[0].starts_at > newest[1].starts_at
    assert newest[0].client.legal_name == "Mine Client"
    assert newest[0].get_deferred_fields() == expected[0][0].get_deferred_fields()
    assert oldest_first[0].starts_at < oldest_first[1].starts_at
    assert all("ruptures" in s._prefetched_objects_cache for s in prefetched)


def test_a_statement_without_rows_fills_nothing_and_clones_nothing(alice):
    [bound, *_] = _LISTS(alice, timezone.now())
    [rows, *_] = batch.fetch(
        *(batch.statement(b) for b in _LISTS(alice, timezone.now()))
    )
    assert rows == []
    before = bound.template._result_cache
    assert batch.filled(bound, rows) == []
    assert bound.template._result_cache is before
