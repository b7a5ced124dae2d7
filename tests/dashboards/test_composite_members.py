"""Which indicators a page's composite names (reports.COMPOSITE_MEMBERS_SQL): the active
in-composite ones and the retired ones that still have ratings. The statement runs on the
caseload, supervisee caseload and supervision pages, so its plan must not grow with the
number of ratings: the look-up of retired indicators' ratings is run once, not once per
indicator (a correlated look-up was planned as a scan of every rating per retired indicator,
about 1 s per page on the benchmark's 680,000 ratings)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.utils import timezone

from dashboards import reports
from sessions.models import IntegrationIndicator
from tests.dashboards.helpers import rate, session, weeks_ago
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _members() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(reports.COMPOSITE_MEMBERS_SQL, reports.COMPOSITE_PARAMS)
        cols = [c.name for c in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def _retire(*codes: str) -> None:
    IntegrationIndicator.objects.filter(code__in=codes).update(
        retired_at=timezone.now()
    )


def test_a_retired_indicator_stays_a_member_while_it_has_ratings(alice):
    record = make_client(alice)
    rate(session(record, alice, weeks_ago(1)), {"flexible": 3})
    _retire("flexible", "adaptive")
    members = {m["code"]: m for m in _members()}
    assert (
        members["flexible"]["retired"] is True
    )  # rated: still averaged, marked retired
    assert "adaptive" not in members  # never rated: gone from the composite
    assert members["coherent"]["retired"] is False
    assert not [m for m in _members() if m["code"] == "river-position"]  # bipolar scale


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_the_ratings_of_retired_indicators_are_looked_up_once_per_page(alice):
    record = make_client(alice)
    for k in range(3):
        rate(session(record, alice, weeks_ago(k + 1)), {"flexible": 2, "stable": 3})
    _retire("flexible", "adaptive", "coherent", "energized")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE therapy_sessions_integrationrating")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + reports.COMPOSITE_MEMBERS_SQL,
            reports.COMPOSITE_PARAMS,
        )
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    subplans = [n for n in _nodes(plan) if n.get("Parent Relationship") == "SubPlan"]
    assert subplans, "the retired indicators' ratings are looked up in a sub-plan"
    # Run once for the page (hashed), not once per indicator row.
    assert [n["Actual Loops"] for n in subplans] == [1] * len(subplans), subplans
    assert {m["code"] for m in _members()} >= {"flexible", "stable"}
