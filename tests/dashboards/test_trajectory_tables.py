"""The trajectory keeps its numeric data tables once printed (dashboards.views
._trajectory_tables): a table is a function of the texts it prints alone, so rows kept for one
client's page never show on another page unless that page has exactly the same texts to
print, and a change of figures prints new rows."""

from __future__ import annotations

from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.urls import reverse

from dashboards.views import _trajectory_tables
from tests.dashboards.helpers import rate_composite, session, weeks_ago
from tests.dashboards.test_page_partials import HOSTILE, assert_inert
from tests.factories import make_client, mark_recently_authenticated

CELLS = ("indicator_cells", "zone_cells", "coreg_cells", "attune_cells")


def _data(label: str, cell: str = "3") -> SimpleNamespace:
    row = {"date_label": label} | {name: [cell, "0.50", "–"] for name in CELLS}
    rupture = {
        "at_label": label,
        "rupture_type": cell,
        "open": True,
        "open_long": False,
        "age_label": cell,
        "repaired_label": "",
        "repair_time_label": "",
    }
    repaired = rupture | {
        "open": False,
        "repaired_label": label,
        "repair_time_label": cell,
    }
    measure = {
        "session_code": uuid4(),
        "date_label": label,
        "name": cell,
        "total": 7,
        "band_label": cell,
        "why_no_total": "",
    }
    unscored = measure | {"session_code": None, "total": None, "why_no_total": cell}
    indicator = {
        "code": cell,
        "label": label,
        "group": "FACES",
        "scale": [0, 4],
        "instrument_status": "CLINICIAN_CONCEPTUAL",
    }
    return SimpleNamespace(
        indicators=[indicator, indicator | {"code": label, "label": cell}],
        sessions=[row, {**row, "date_label": "Dec 7, 2026"}],
        ruptures=[rupture, repaired],
        measures=[measure, unscored],
    )


TABLES = (
    "indicators",
    "zones",
    "coregulation",
    "attunement",
    "ruptures",
    "measures",
    "indicator_toggles",
    "indicator_heads",
)


def test_a_table_prints_only_the_texts_it_is_kept_for():
    data = _data("Nov 30, 2026")
    first = _trajectory_tables(data)
    same = _trajectory_tables(data)
    other = _trajectory_tables(_data("Oct 5, 2026"))
    for name in TABLES:
        assert first[name] is same[name]  # the same texts: the rows printed once
        assert "Oct 5, 2026" in other[name] and "Nov 30, 2026" not in other[name]
    changed = _trajectory_tables(_data("Nov 30, 2026", cell="4"))
    assert '<td class="num">4</td>' in changed["zones"]
    assert '<td class="num">3</td>' not in changed["zones"]
    assert "Open, 4 days" in changed["ruptures"]
    assert "Open, 3 days" not in changed["ruptures"]
    # A questionnaire's row links to its own session.
    [code] = [m["session_code"] for m in data.measures if m["session_code"]]
    assert f"/{code}/" in first["measures"] and f"/{code}/" not in other["measures"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_kept_rows_stay_escaped(payload):
    for _ in range(2):  # printed, then read back from the cache
        tables = _trajectory_tables(_data(payload, cell=payload))
        assert set(tables) == set(TABLES)
        for html in tables.values():
            assert_inert(str(html), payload, times=2)


@pytest.mark.django_db
def test_each_clients_page_shows_only_its_own_rows(client, alice):
    from dashboards import services

    records = []
    for name, weeks in (("Dana Example", 3), ("Zed Person", 7)):
        record = make_client(alice, legal_name=name)
        rate_composite(session(record, alice, weeks_ago(weeks, hour=0)), 4)
        services.rollup_refresh_client(client_id=record.id)
        records.append(record)
    client.force_login(alice)
    mark_recently_authenticated(client, alice)
    pages = [
        client.get(reverse("dashboards:trajectory", args=[r.code])).context["tables"]
        for r in (*records, records[0])
    ]
    dana, zed, dana_again = pages
    for name in ("indicators", "zones", "coregulation", "attunement"):
        assert dana[name] is dana_again[name]
        assert dana[name] != zed[name]
