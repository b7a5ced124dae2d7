"""The caseload keeps each row's cells after the client's name once printed
(dashboards.views.caseload_cells): the cells are a function of the figures they print alone,
never of a name or a code, so cells kept for one page show on another only where that page
has exactly the same figures, and each page prints its own clients' names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from dashboards import reports, services
from dashboards.views import caseload_cells
from tests.dashboards.helpers import session, weeks_ago
from tests.dashboards.test_page_partials import HOSTILE, assert_inert
from tests.factories import make_client, make_user, mark_recently_authenticated


def _row(*, attended: int = 3, flags=("Note late",), late: int = 1) -> dict:
    return {
        "last_iso": "2026-12-01T10:00:00-05:00",
        "last_label": "Dec 1",
        "next_iso": "",
        "next_label": "",
        "sessions_attended": attended,
        "sparkline": reports.sparkline([2.0, 2.5, 3.0]),
        "direction": "up",
        "change_label": "+1.0",
        "open_ruptures": 1,
        "oldest_open_days": 4,
        "unsigned": 2,
        "late": late,
        "days_since": 5,
        "outcome": SimpleNamespace(short=["PHQ-9 18 → 9 (Recovered)"]),
        "flags": list(flags),
    }


def test_cells_print_only_the_figures_they_are_kept_for():
    first, same = caseload_cells(_row()), caseload_cells(_row())
    assert first is same  # the same figures: printed once
    assert first.startswith(
        '<td><time datetime="2026-12-01T10:00:00-05:00">Dec 1</time>'
    )
    assert '<span class="muted">None booked</span>' in first
    assert '<td class="num">2 <span class="muted">(1 late)</span></td>' in first
    assert "PHQ-9 18 → 9 (Recovered)" in first
    changed = caseload_cells(_row(attended=4, late=0))
    assert changed != first
    assert '<td class="num">4</td>' in changed
    assert "late)" not in changed


@pytest.mark.parametrize("payload", HOSTILE)
def test_kept_cells_stay_escaped(payload):
    for _ in range(2):  # printed, then read back from the cache
        cells = caseload_cells(_row(flags=(payload,)))
        assert_inert(str(cells), payload, times=1)


@pytest.mark.django_db
def test_each_caseload_prints_its_own_names_beside_shared_cells(client):
    """Two therapists' clients with the same figures: the same cells, each page its own
    client's name and link, never the other's."""
    pages = {}
    for name in ("Rowan Alder", "Sasha Birch"):
        therapist = make_user(full_name=f"Therapist of {name}")
        record = make_client(therapist, legal_name=name)
        for k in range(3):
            session(record, therapist, weeks_ago(k + 0.5))
        pages[name] = (therapist, record)
    services.rollup_refresh_all()
    html = {}
    for name, (therapist, record) in pages.items():
        client.force_login(therapist)
        mark_recently_authenticated(client, therapist)
        page = client.get(reverse("dashboards:caseload")).content.decode()
        html[name] = page[page.index("<tbody>") : page.index("</tbody>")]
        assert reverse("dashboards:trajectory", args=[record.code]) in html[name]
    rowan, sasha = html["Rowan Alder"], html["Sasha Birch"]
    assert "Rowan Alder" in rowan and "Sasha Birch" not in rowan
    assert "Sasha Birch" in sasha and "Rowan Alder" not in sasha
    assert str(pages["Sasha Birch"][1].code) not in rowan
    # Past the name cell, the rows are the same text.
    assert rowan[rowan.index("</th>") :] == sasha[sasha.index("</th>") :]
