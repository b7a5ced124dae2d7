"""Access ends at the moment it is ended: a supervision link or a case assignment ended at
09:00 grants nothing at 09:01 (not "until midnight"), and ending a link that has not started
yet deletes it, audited with its old values, so that it grants nothing on its start day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from accounts.models import Supervision
from audit.models import AuditEvent
from clients.models import CaseAssignment
from tests.factories import (
    make_assignment,
    make_client,
    make_supervision,
    mark_recently_authenticated,
)

pytestmark = pytest.mark.django_db
PRACTICE = ZoneInfo("America/New_York")
NINE = datetime(2026, 12, 7, 9, 0, tzinfo=PRACTICE)
ONE_MINUTE_LATER = NINE + timedelta(minutes=1)


@pytest.fixture
def alices_client(alice):
    return make_client(alice, legal_name="Morgan Endtime")


def _as(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    mark_recently_authenticated(browser, user)
    return browser


def _detail(client) -> str:
    return reverse("clients:client_detail", args=[client.code])


def test_a_supervisor_loses_the_caseload_the_minute_the_link_ends(
    ada, alice, bob, alices_client
):
    link = Supervision.objects.get(supervisor=bob, supervisee=alice)
    with time_machine.travel(NINE, tick=False):
        assert _as(bob).get(_detail(alices_client)).status_code == 200
        response = _as(ada).post(reverse("accounts:supervision_end", args=[link.code]))
        assert response.status_code == 302
    link.refresh_from_db()
    assert link.ended_at == NINE
    with time_machine.travel(ONE_MINUTE_LATER, tick=False):
        bob_browser = _as(bob)
        assert bob_browser.get(_detail(alices_client)).status_code == 404
        dashboard = reverse("dashboards:supervisee_caseload", args=[alice.code])
        assert bob_browser.get(dashboard).status_code == 404


def test_a_replaced_primary_therapist_can_neither_read_nor_write_a_minute_later(
    ada, alice, charlie, alices_client
):
    with time_machine.travel(NINE, tick=False):
        assert _as(alice).get(_detail(alices_client)).status_code == 200
        response = _as(ada).post(
            reverse("clients:assign_primary", args=[alices_client.code]),
            {"therapist": charlie.pk},
        )
        assert response.status_code == 302
    with time_machine.travel(ONE_MINUTE_LATER, tick=False):
        browser = _as(alice)
        assert browser.get(_detail(alices_client)).status_code == 404
        edit = reverse("clients:client_edit", args=[alices_client.code])
        assert browser.post(edit, {"legal_name": "Changed"}).status_code == 404
        goal = reverse("clients:goal_create", args=[alices_client.code])
        assert (
            browser.post(goal, {"text": "A goal from a former therapist"}).status_code
            == 404
        )
        assert _as(charlie).get(_detail(alices_client)).status_code == 200
    alices_client.refresh_from_db()
    assert alices_client.legal_name == "Morgan Endtime"
    old = CaseAssignment.objects.get(client=alices_client, therapist=alice)
    assert old.ended_at == NINE


def test_an_ended_co_therapist_loses_the_client_a_minute_later(
    ada, alice, charlie, alices_client
):
    co = make_assignment(alices_client, charlie)
    with time_machine.travel(NINE, tick=False):
        assert _as(charlie).get(_detail(alices_client)).status_code == 200
        response = _as(ada).post(reverse("clients:assignment_end", args=[co.code]))
        assert response.status_code == 302
    with time_machine.travel(ONE_MINUTE_LATER, tick=False):
        assert _as(charlie).get(_detail(alices_client)).status_code == 404
    event = AuditEvent.objects.get(action="client.assignment_end")
    assert event.changes["ended_at"] == [None, NINE.astimezone(UTC).isoformat()]


def test_ending_a_future_supervision_deletes_it_and_grants_nothing_on_its_start_day(
    ada, bob, charlie
):
    charlies_client = make_client(charlie)
    link = make_supervision(bob, charlie, started_on=date(2026, 12, 10))
    with time_machine.travel(NINE, tick=False):
        admin = _as(ada)
        response = admin.post(reverse("accounts:supervision_end", args=[link.code]))
        assert response.status_code == 302
        page = admin.get(response["Location"]).content.decode()
        assert "Removed before it started" in page
    assert not Supervision.objects.filter(code=link.code).exists()
    event = AuditEvent.objects.get(action="supervision.delete")
    assert event.actor == ada and event.target_code == str(link.code)
    assert event.changes == {
        "supervisor": [str(bob.code), None],
        "supervisee": [str(charlie.code), None],
        "started_on": ["2026-12-10", None],
        "requires_cosignature": [False, None],
    }
    start_day = datetime(2026, 12, 10, 10, 0, tzinfo=PRACTICE)
    with time_machine.travel(start_day, tick=False):
        assert _as(bob).get(_detail(charlies_client)).status_code == 404


def test_ending_a_future_assignment_deletes_it_and_grants_nothing_on_its_start_day(
    ada, alice, charlie, alices_client
):
    future = make_assignment(alices_client, charlie, started_on=date(2026, 12, 10))
    with time_machine.travel(NINE, tick=False):
        response = _as(ada).post(reverse("clients:assignment_end", args=[future.code]))
        assert response.status_code == 302
    assert not CaseAssignment.objects.filter(code=future.code).exists()
    event = AuditEvent.objects.get(action="client.assignment_delete")
    assert event.client_code == alices_client.code
    assert event.changes == {
        "therapist": [str(charlie.code), None],
        "role": ["CO_THERAPIST", None],
        "started_on": ["2026-12-10", None],
    }
    start_day = datetime(2026, 12, 10, 10, 0, tzinfo=PRACTICE)
    with time_machine.travel(start_day, tick=False):
        assert _as(charlie).get(_detail(alices_client)).status_code == 404


def test_a_future_primary_replaced_before_it_starts_is_deleted(ada, alice, charlie):
    from clients import services

    c = make_client(None)
    future = CaseAssignment.objects.create(
        client=c, therapist=alice, started_on=date(2099, 1, 1)
    )
    services.client_assign_primary(client=c, therapist=charlie, by=ada)
    assert not CaseAssignment.objects.filter(pk=future.pk).exists()
    assert AuditEvent.objects.filter(action="client.assignment_delete").exists()
    assert [a.therapist for a in CaseAssignment.objects.filter(client=c)] == [charlie]
