"""The dashboards' figures worked out once in Python print as the Django filters and templates
they replace printed them: the freshness line, |floatformat:1 and the reliable-change counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import engines
from django.template.defaultfilters import floatformat
from django.utils import timezone

from dashboards import reports
from measures import reports as measure_reports


def _freshness_django(refreshed_at) -> str:
    return (
        engines["django"]
        .get_template("dashboards/_freshness.html")
        .render({"refreshed_at": refreshed_at})
    )


def _freshness_jinja(refreshed_at) -> str:
    return (
        engines["jinja2"]
        .get_template("dashboards/_freshness.html")
        .render({"freshness": reports.freshness(refreshed_at)})
    )


@pytest.mark.parametrize(
    "ago",
    [None, timedelta(0), timedelta(hours=3), timedelta(days=1), timedelta(days=40)],
)
def test_freshness_prints_as_the_django_include(ago):
    at = None if ago is None else timezone.now() - ago
    assert _freshness_jinja(at) + "\n" == _freshness_django(at)


def test_freshness_of_an_utc_moment_is_practice_local():
    at = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    assert _freshness_jinja(at) + "\n" == _freshness_django(at)


@pytest.mark.parametrize(
    "value",
    [
        0,
        0.0,
        0.04,
        0.05,
        0.15,
        0.25,
        1.45,
        2.675,
        3.0,
        12.349999,
        99.95,
        1234.56,
        -0.04,
        -0.05,
        -1.25,
        1e-7,
        5e14,
        2.0e15,
        7,
    ],
)
def test_floatformat_one_place_as_django(value):
    assert reports._floatformat1(value) == floatformat(value, 1)


TOTALS = [
    (("PHQ9", 18, 9),),
    (("PHQ9", 18, 17), ("GAD7", 12, 4)),
    (("GAD7", 5, 15),),
    (("GAD7", 14, 8), ("PHQ9", 12, 20)),
    (("PHQ9", 9, 9), ("GAD7", 7, 7)),
    (("XYZ", 1, 9),),
    (),
]


@pytest.mark.parametrize("pairs", TOTALS)
def test_verdicts_are_the_outcome_of_the_same_totals(pairs):
    result = measure_reports.outcome(
        [
            {"instrument": i, "scored": 3, "first_total": a, "last_total": b}
            for i, a, b in pairs
        ]
    )
    key = tuple(sorted(pairs))
    assert reports._outcome(key) == result
    assert reports._verdict(key) == (
        result.measured,
        result.improved,
        result.deteriorated,
    )


@pytest.mark.django_db
def test_the_next_session_is_the_first_scheduled_one_after_now(alice):
    from tests.dashboards.helpers import session, weeks_ago
    from tests.factories import make_client

    client = make_client(alice)
    session(client, alice, weeks_ago(-1), status="CANCELLED")
    booked = session(client, alice, weeks_ago(-2), status="SCHEDULED")
    session(client, alice, weeks_ago(-3), status="SCHEDULED")
    session(client, alice, weeks_ago(1), status="SCHEDULED")  # past: not "next"
    [row] = reports.caseload(alice.id)
    assert row["next_at"] == booked.starts_at


@pytest.mark.django_db
def test_a_search_term_prints_escaped_in_the_caseload_form(client, alice):
    from django.urls import reverse

    client.force_login(alice)
    html = client.post(
        reverse("dashboards:caseload"), {"q": '"><script>alert(1)</script>'}
    ).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
