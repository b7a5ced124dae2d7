"""The trajectory's sections, the composite's explanation and the supervisor's tables are Jinja2
partials (templates/jinja2/dashboards/): hostile text in every cell, label and attribute comes
out as the characters typed, and the figures formatted once in dashboards/reports.py print as
the Django filters they replace printed them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.template import engines

from dashboards import reports
from dashboards.views import _trajectory_tables
from measures import reports as measure_reports

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
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def assert_inert(html: str, payload: str, *, times: int) -> None:
    """No element or handler came from the payload; it is shown, as typed, `times` times or
    more (in the text or in an attribute's value), never evaluated as a template."""
    parsed = _Markup()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "img", "iframe"}, (tag, attrs)
        for name in attrs:
            assert not name.startswith(("on", "hx-", "data-hx")), (tag, name)
    values = [v for _, attrs in parsed.tags for v in attrs.values() if v]
    shown = parsed.text.count(payload) + sum(v.count(payload) for v in values)
    assert shown >= times, (shown, times)


def _include(source: str, **context) -> str:
    """Renders a partial the way the pages do: through the {% jinja %} tag."""
    return engines["django"].from_string("{% load jinja %}" + source).render(context)


def _trajectory(text: str) -> SimpleNamespace:
    """The trajectory view's context, every free text of it hostile."""
    indicator = {
        "id": 1,
        "code": text,
        "label": text,
        "group": "FACES",
        "in_composite": True,
        "instrument_status": "CLINICIAN_CONCEPTUAL",
        "scale": [0, 4],
        "values": [3],
    }
    cells = [text, "1"]
    session = {
        "date_label": text,
        "indicator_cells": cells,
        "zone_cells": cells,
        "coreg_cells": cells,
        "attune_cells": cells,
    }
    measures = [
        {
            "session_code": uuid4(),
            "date_label": text,
            "name": text,
            "total": 12,
            "band_label": text,
            "why_no_total": "",
        },
        {
            "session_code": None,
            "date_label": text,
            "name": text,
            "total": None,
            "band_label": "",
            "why_no_total": text,
        },
    ]
    at = NOW - timedelta(days=30)
    ruptures = [
        {
            "at": at,
            "session_at": at,
            "rupture_type": text,
            "open": True,
            "open_long": True,
            "age_days": 30.2,
            "repaired_at": None,
            "repair_session_at": None,
            "same_session": False,
            "hours": None,
            "sessions_later": None,
        }
    ]
    totals = {
        "ruptures": 1,
        "open": 1,
        "repaired_same": 0,
        "matches": 2,
        "mismatches": 8,
        "attune_repairs": 1,
        "repair_rate": 0.125,
        "repair_rate_label": "0.13",
        "coreg_settled": 1,
        "coreg": 2,
        "links": 1,
    }
    data = reports.Trajectory(
        sessions=[session],
        indicators=[indicator],
        ruptures=[reports.rupture_labels(r) for r in ruptures],
        trend=reports.Trend(-0.2, 4),
        window=8,
        refreshed_at=NOW,
        totals=totals,
        measures=measures,
    )
    instrument = {
        "code": text,
        "name": text,
        "bands": [{"low": 0, "high": 4, "label": text}],
    }
    return SimpleNamespace(
        client=SimpleNamespace(code=uuid4()),
        data=data,
        chart={"timeline": {"labels": ["2026-11-06"], "instruments": [instrument]}},
        window=8,
        measure_instruments=[instrument],
        tables=_trajectory_tables(data),
    )


TRAJECTORY = (
    '{% jinja "dashboards/_trajectory_sections.html" client=t.client data=t.data'
    " chart=t.chart window=t.window measure_instruments=t.measure_instruments"
    " tables=t.tables %}"
)


@pytest.mark.parametrize("payload", HOSTILE)
def test_trajectory_sections_escape_labels_cells_and_attributes(payload):
    html = _include(TRAJECTORY, t=_trajectory(payload))
    # Indicator label (toggle, head, composite members, captions and chart label), its code
    # (a checkbox value), session labels and cells (four tables), measure names, bands and
    # reasons, the rupture type, the instruments' names and bands.
    assert_inert(html, payload, times=20)
    assert html.count("<section ") == 7


def test_trajectory_sections_say_what_the_page_said():
    html = _include(TRAJECTORY, t=_trajectory("Flexible"))
    # The Sources links and the status label come from the registry, never the template.
    assert '<a class="source-link" href="/sources/#composite">Composite</a>' in html
    assert '<a class="source-link" href="/sources/#repair-rate">Tronick</a>' in html
    assert (
        'Flexible (<a class="status-label" href="/sources/#status-clinician-conceptual">'
        in html
    )
    assert "2 co-regulation moments, 1 settled; 1 integration link." in html
    assert "1 rupture, 1 open, 0 repaired in the same session." in html
    assert "1 repairs, repair rate 0.13." in html
    assert "Open, 30 days" in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_composite_explanation_escapes_member_labels(payload):
    composite = reports.Composite(
        [
            {"label": payload, "instrument_status": "CLINICIAN_CONCEPTUAL"},
            {"label": payload, "instrument_status": "USER_DEFINED", "retired": True},
        ]
    )
    html = _include(
        '{% include "dashboards/_composite.html" %}', composite=composite, window=8
    )
    assert_inert(html, payload, times=2)
    assert f"{payload} (retired)" in _text(html)
    assert "over the last 8 rated sessions." in html


def _text(html: str) -> str:
    parsed = _Markup()
    parsed.feed(html)
    return parsed.text


def _person(text: str, *, measured: int = 2) -> dict:
    weeks = reports.weeks_back(3, today=NOW.date())
    person = {
        "code": uuid4(),
        "full_name": text,
        "credentials": text,
        "active_clients": 4,
        "sessions_per_week_label": "2.3",
        "lag_median_label": "–",
        "late_share_label": "13%",
        "cosign_queue": 1,
        "ruptures_per_10_label": "–",
        "repaired_same_label": "–",
        "repaired_two_label": "50%",
        "repair_median_label": "25 min",
        "declining": 1,
        "open_old": 0,
        "open_all": 2,
        "late_now": 0,
        "change": measure_reports.shares([]) | {"measured": measured, "improved": 1},
        "improved_pct": "50",
        "deteriorated_pct": "0",
        "weeks": [{"label": text, "cells": [text, "–"]} for _ in weeks],
        "multiples": [(text, reports.sparkline_scaled([1, None, 3]))],
    }
    person["multiples"][0][1]["top"] = text
    return person


@pytest.mark.parametrize("payload", HOSTILE)
def test_supervision_rows_escape_names_and_credentials(payload):
    html = _include(
        '{% jinja "dashboards/_supervision_rows.html" people=people %}',
        people=[_person(payload), _person(payload, measured=0)],
    )
    # Name and credentials, and the name again in the unrepaired ruptures' link.
    assert_inert(html, payload, times=6)
    assert html.count("<tr>") == 2
    assert "1 of 2 (50%)" in html and "No paired scores" in html


@pytest.mark.parametrize("payload", HOSTILE)
def test_supervision_weekly_cards_escape_names_labels_and_cells(payload):
    html = _include(
        '{% jinja "dashboards/_supervision_weekly.html" people=people %}',
        people=[_person(payload)],
    )
    # Heading, summary, caption, the multiple's label and maximum, three weeks' rows.
    assert_inert(html, payload, times=11)
    assert html.count("<figure ") == 1 and html.count("<tr>") == 4


# --- Figures formatted once, as the Django filters printed them --------------------------------

SHARES = [None, 0.0, 0.005, 0.125, 1 / 3, 0.5, 2 / 3, 0.745, 0.995, 1.0]
FIGURES = [None, 0.0, 0.05, 0.25, 1.25, 2.25, 2.35, 1 / 3, 10.0, 123.45]


def _django(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("share", SHARES)
def test_supervision_percentages_print_as_widthratio(share):
    expected = _django(
        "{% if v is not None %}{% widthratio v 1 100 %}%{% else %}–{% endif %}", v=share
    )
    assert reports._widthratio_pct(share) == expected
    if share is not None:
        assert reports._percent(share) == _django("{% widthratio v 1 100 %}", v=share)


@pytest.mark.parametrize("value", FIGURES)
def test_supervision_figures_print_as_floatformat(value):
    person = {
        "lag_median_hours": value,
        "sessions_per_week": value or 0.0,
        "ruptures_per_10": value,
        "late_share": value,
        "repaired_same_share": None,
        "repaired_two_share": value,
    }
    reports.supervision_labels(person)
    assert person["lag_median_label"] == _django(
        "{% if v is not None %}{{ v|floatformat:1 }} h{% else %}–{% endif %}", v=value
    )
    assert person["ruptures_per_10_label"] == _django(
        '{{ v|floatformat:1|default:"–" }}', v=value
    )
    assert person["sessions_per_week_label"] == _django(
        "{{ v|floatformat:1 }}", v=value or 0.0
    )
    assert person["repaired_same_label"] == "–"
    assert person["repaired_two_label"] == _django(
        "{% if v is not None %}{% widthratio v 1 100 %}%{% else %}–{% endif %}", v=value
    )


@pytest.mark.parametrize(
    ("slope", "n", "label"),
    [(-0.01, 5, "+0.0"), (-0.2, 5, "-0.8"), (0.125, 5, "+0.5"), (0.0, 2, "")],
)
def test_caseload_trend_label_is_signed_and_never_minus_zero(slope, n, label):
    row = reports.caseload_labels(
        {"last_at": None, "next_at": NOW, "trend": reports.Trend(slope, n)}
    )
    assert row["change_label"] == label
    assert row["last_label"] == "" and row["next_iso"].startswith("2026-12-06T")
