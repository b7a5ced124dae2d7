"""The dashboards' tables are Jinja2 partials (templates/jinja2/dashboards/) included with
`{% jinja %}`: hostile text in every kind of cell (names, labels, flags, attribute values)
comes out as text, never as markup, and the engine cannot be configured to stop escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from uuid import uuid4

import pytest
from django.template import TemplateSyntaxError, engines
from django.urls import reverse
from jinja2 import UndefinedError

from dashboards import reports
from dashboards.views import caseload_cells
from ipnb_notes.jinja2 import environment
from measures import reports as measure_reports
from sessions.models import IntegrationIndicator
from tests.dashboards.helpers import rate, session, signed_note, weeks_ago
from tests.factories import make_client

MARK = "zq9x"
HOSTILE = [
    f"<script>alert('{MARK}')</script>",
    f"\"><img src=x onerror=alert('{MARK}')>",
    f"' onmouseover='alert(\"{MARK}\")' x='",
    f'</td></tr><tr><td hx-get="/{MARK}" hx-trigger="load">{MARK}',
    f"{{{{ 7 * 7 }}}}{{% raw %}}{MARK}&amp;",
]
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


class _Markup(HTMLParser):
    """Every tag and attribute of a rendering, and its text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def assert_inert(html: str, expected_text: list[str]) -> None:
    parsed = _Markup()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "img", "iframe"}, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith(("on", "hx-", "data-hx")), (tag, name, value)
            assert name in {
                "scope", "href", "class", "datetime", "viewbox", "width", "height",
                "role", "aria-label", "aria-hidden", "points", "x1", "y1", "x2", "y2",
                "colspan",
            }, (tag, name)  # fmt: skip
    values = [v for _, attrs in parsed.tags for v in attrs.values() if v]
    for text in expected_text:
        # Shown as the very characters typed (in the text or an attribute's value), not
        # interpreted as markup nor evaluated as a template (no 49).
        assert text in parsed.text or any(text in v for v in values), text
    assert "49" not in parsed.text


def _include(source: str, **context) -> str:
    """Renders a partial the way the pages do: through the {% jinja %} tag."""
    return engines["django"].from_string("{% load jinja %}" + source).render(context)


def _caseload_row(name: str, flag: str, label: str) -> dict:
    """A row as the caseload view gives it to the partial: its cells after the name printed
    (dashboards.views.caseload_cells)."""
    spark = reports.sparkline([1.0, 2.0, 3.0])
    spark["label"] = label
    spark["points"] = label
    row = reports.caseload_labels(
        {
            "code": uuid4(),
            "name": name,
            "status": name,
            "last_at": NOW - timedelta(days=3),
            "next_at": None,
            "sessions_attended": 12,
            "sparkline": spark,
            "trend": reports.Trend(-0.3, 8),
            "open_ruptures": 1,
            "oldest_open_days": 20,
            "unsigned": 1,
            "late": 1,
            "days_since": 3,
            "flags": [flag, "Declining trend"],
            "outcome": measure_reports.outcome(
                [
                    {
                        "instrument": "PHQ9",
                        "scored": 2,
                        "first_total": 18,
                        "last_total": 9,
                    }
                ]
            ),
        }
    )
    row["cells"] = caseload_cells(row)
    return row


@pytest.mark.parametrize("payload", HOSTILE)
def test_caseload_rows_escape_names_statuses_flags_and_attributes(payload):
    html = _include(
        '{% jinja "dashboards/_caseload_rows.html" rows=rows %}',
        rows=[_caseload_row(payload, payload, payload)],
    )
    assert_inert(html, [payload, payload.lower()])
    assert html.count("<tr>") == 1


@pytest.mark.parametrize("payload", HOSTILE)
def test_data_table_rows_escape_labels_and_cells(payload):
    rows = [{"label": payload, "cells": ["1", payload, 3, None]}]
    html = _include(
        '{% jinja "dashboards/_numeric_rows.html" rows=rows label="label" cells="cells" %}',
        rows=rows,
    )
    assert_inert(html, [payload])
    assert html.count("<td") == 4
    assert html.count("<tr>") == 1


@pytest.mark.parametrize("payload", HOSTILE)
def test_rupture_rows_escape_the_type(payload):
    at = NOW - timedelta(days=30)
    ruptures = [
        {
            "at": at,
            "session_at": at,
            "rupture_type": payload,
            "open": True,
            "open_long": True,
            "age_days": 30.2,
            "repaired_at": None,
            "repair_session_at": None,
            "same_session": False,
            "hours": None,
            "sessions_later": None,
        },
        {
            "at": at,
            "session_at": at,
            "rupture_type": payload,
            "open": False,
            "open_long": False,
            "age_days": 30.2,
            "repaired_at": at + timedelta(hours=170),
            "repair_session_at": at + timedelta(hours=170),
            "same_session": False,
            "hours": 170.0,
            "sessions_later": 1,
        },
    ]
    html = _include(
        '{% jinja "dashboards/_rupture_rows.html" ruptures=ruptures %}',
        ruptures=[reports.rupture_labels(r) for r in ruptures],
    )
    assert_inert(html, [payload.capitalize()])
    assert "Open, 30 days" in html
    assert "170 h, 1 session later" in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_small_multiples_escape_labels_and_attribute_values(payload):
    line = reports.sparkline_scaled([1, None, 3])
    line["segments"] = [payload]
    line["top"] = payload
    html = _include(
        '{% jinja "dashboards/_small_multiples.html" multiples=multiples %}',
        multiples=[(payload, line)],
    )
    assert_inert(html, [payload])


def test_the_environment_escapes_even_when_told_not_to():
    env = environment(autoescape=False)
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_a_partial_sees_only_what_its_tag_passes_and_a_misspelt_name_fails():
    source = '{% jinja "dashboards/_numeric_rows.html" rows=rows label="label" cells="cellz" %}'
    with pytest.raises(UndefinedError):
        _include(source, rows=[{"label": "x", "cells": ["1"]}])
    with pytest.raises(TemplateSyntaxError):
        _include('{% jinja "dashboards/_numeric_rows.html" rows %}', rows=[])


# --- The pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_hostile_names_and_labels_on_the_dashboard_pages(client, alice, bob):
    payload = HOSTILE[1]
    # The caseload shows the preferred name; the trajectory's title the display name.
    record = make_client(alice, legal_name=HOSTILE[0], preferred_name=payload)
    indicator = IntegrationIndicator.objects.create(
        code="hostile", label=payload, group="PRACTICE", sort_order=999
    )
    s = session(record, alice, weeks_ago(1))
    rate(s, {"hostile": 2})
    signed_note(s, 30)
    from dashboards import services

    services.rollup_refresh_client(client_id=record.id)
    alice.full_name = HOSTILE[3]
    alice.credentials = HOSTILE[0]
    alice.save()
    pages = {  # bob supervises alice (tests/conftest.py)
        alice: [
            reverse("dashboards:caseload"),
            reverse("dashboards:trajectory", args=[record.code]),
        ],
        bob: [
            reverse("dashboards:supervision"),
            reverse("dashboards:supervisee_caseload", args=[alice.code]),
        ],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            parsed = _Markup()
            parsed.feed(html)
            for tag, attrs in parsed.tags:
                joined = " ".join(f"{k}={v}" for k, v in attrs.items() if v)
                if MARK in joined:
                    assert tag not in {"script", "img", "iframe"}, (url, tag)
                    assert not [k for k in attrs if k.startswith(("on", "hx-"))], (
                        url,
                        tag,
                        attrs,
                    )
            assert MARK in parsed.text, url
    assert indicator.label == payload
