"""The audit report: range, filters, allow-listed sorting, CSV safety, itself audited (AUD-05)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

import audit
from audit.models import AuditEvent
from audit.reports import SORTS
from tests.factories import mark_recently_authenticated

pytestmark = pytest.mark.django_db
URL = "/practice/audit/"


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


def _event_at(day: int, action: str, **kwargs) -> AuditEvent:
    with time_machine.travel(datetime(2026, 3, day, 15, 0, tzinfo=UTC), tick=False):
        return audit.record(action, **kwargs)


def _seqs(response) -> list[int]:
    return [e.seq for e in response.context["page"]]


def test_the_url_is_the_practice_audit_page():
    assert reverse("audit:event_list") == URL


def test_a_time_range_returns_only_events_inside_it(admin_client):
    early = _event_at(1, "client.view")
    inside = _event_at(10, "client.view")
    late = _event_at(20, "client.view")
    response = admin_client.get(
        URL, {"date_from": "2026-03-05", "date_to": "2026-03-15"}
    )
    assert response.status_code == 200
    assert inside.seq in _seqs(response)
    assert early.seq not in _seqs(response)
    assert late.seq not in _seqs(response)


def test_filters_by_user_action_object_client_and_ip(admin_client, ada, alice):
    import uuid

    client_code = uuid.uuid4()
    wanted = audit.record(
        "client.view", actor=alice, client_code=client_code, target=alice
    )
    audit.record("note.view", actor=ada)
    for params in (
        {"actor": "alice@"},
        {"action": "client.view"},
        {"action": "client."},
        {"client": str(client_code)},
        {"target": str(alice.code)},
        {"target_type": "accounts.user"},
    ):
        seqs = _seqs(admin_client.get(URL, params))
        assert wanted.seq in seqs, params
        assert all(
            AuditEvent.objects.get(seq=s).action.startswith("client.")
            or AuditEvent.objects.get(seq=s).action.startswith("audit.")
            or "target" in params
            or "target_type" in params
            for s in seqs
        )


@pytest.mark.parametrize("key", list(SORTS))
def test_every_column_sorts_both_ways(admin_client, ada, alice, key):
    for n, who in enumerate([alice, ada, alice]):
        _event_at(n + 1, f"test.sort{n}", actor=who, target_code=f"t{2 - n}")
    column = SORTS[key]
    for prefix in ("", "-"):
        response = admin_client.get(URL, {"sort": prefix + key, "action": "test."})
        assert response.status_code == 200
        values = [getattr(e, column) for e in response.context["page"]]
        values = ["" if v is None else v for v in values]
        assert values == sorted(values, reverse=bool(prefix)), (key, prefix)


def test_an_injected_sort_key_is_refused(admin_client):
    response = admin_client.get(
        URL, {"sort": "1,extractvalue(1,concat(0x7e,version()))"}
    )
    assert response.status_code == 400
    assert admin_client.get(URL, {"sort": "password"}).status_code == 400
    assert admin_client.get(URL, {"date_from": "yesterday"}).status_code == 400


def test_viewing_the_report_is_audited(admin_client, ada):
    admin_client.get(URL, {"action": "auth."})
    event = AuditEvent.objects.filter(action="audit.report_view").latest("seq")
    assert event.actor == ada
    assert event.changes["filters"] == {"action": "auth."}


def test_non_admins_get_404(client, alice, bob):
    for user in (alice, bob):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert client.get(reverse("audit:event_export")).status_code == 404


def test_the_report_query_count_does_not_grow_with_events(
    admin_client, django_assert_max_num_queries
):
    for i in range(5):
        audit.record("test.q", changes={"i": i})
    with django_assert_max_num_queries(12):
        admin_client.get(URL)
    for i in range(60):
        audit.record("test.q", changes={"i": i})
    with django_assert_max_num_queries(12):
        admin_client.get(URL)


# --- CSV export --------------------------------------------------------------------------------


def test_the_export_needs_recent_authentication_and_is_audited(admin_client, ada):
    audit.record("=cmd|' /C calc'!A0", target_code="+danger")
    stale = admin_client.get(reverse("audit:event_export"))
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]

    mark_recently_authenticated(admin_client, ada)
    response = admin_client.get(reverse("audit:event_export"), {"sort": "seq"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Sequence"
    flat = [cell for row in rows[1:] for cell in row]
    assert "'=cmd|' /C calc'!A0" in flat
    assert "'+danger" in flat
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in flat)
    event = AuditEvent.objects.get(action="audit.report_export")
    assert event.actor == ada
