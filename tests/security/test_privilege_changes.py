"""Every change of privilege is audited with actor, time and old/new values (AUTHZ-06):
roles, supervision links, caseload assignments, activation, break-glass designation use."""

from __future__ import annotations

import pytest

from accounts import services as accounts
from audit.models import AuditEvent
from clients import services as clients
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("seq")


def test_role_changes_record_old_and_new(ada, alice):
    accounts.user_change_role(user=alice, role="SUPERVISOR", by=ada)
    event = _last("user.role_change")
    assert (event.actor, event.target_code) == (ada, str(alice.code))
    assert event.changes == {"role": ["THERAPIST", "SUPERVISOR"]}
    assert event.at is not None


def test_supervision_links_record_both_ends(ada, alice):
    from datetime import date

    lee = make_user(role="SUPERVISOR")
    link = accounts.supervision_link(
        supervisor=lee,
        supervisee=alice,
        started_on=date(2026, 1, 5),
        requires_cosignature=True,
        by=ada,
    )
    event = _last("supervision.link")
    assert event.actor == ada
    assert event.changes["supervisor"] == [None, str(lee.code)]
    assert event.changes["supervisee"] == [None, str(alice.code)]
    assert event.changes["requires_cosignature"] == [None, True]
    accounts.supervision_end(link=link, by=ada)
    assert _last("supervision.end").changes["ended_at"][0] is None


def test_activation_changes_record_old_and_new(ada, alice):
    accounts.user_deactivate(user=alice, by=ada)
    assert _last("user.deactivate").changes["is_active"] == [True, False]
    accounts.user_reactivate(user=alice, by=ada)
    assert _last("user.reactivate").changes["is_active"] == [False, True]


def test_caseload_assignments_record_old_and_new(ada, alice, charlie):
    record = make_client(alice)
    assignment = clients.cotherapist_add(client=record, therapist=charlie, by=ada)
    added = _last("client.cotherapist_add")
    assert added.actor == ada
    assert added.client_code == record.code
    assert added.changes["co_therapist"] == [None, str(charlie.code)]
    clients.assignment_end(assignment=assignment, by=ada)
    ended = _last("client.assignment_end")
    assert ended.changes["co_therapist"] == [str(charlie.code), None]

    clients.caseload_transfer(from_therapist=alice, to_therapist=charlie, by=ada)
    moved = _last("caseload.transfer")
    assert moved.changes["primary_therapist"] == [str(alice.code), str(charlie.code)]
    assert str(record.code) in moved.changes["clients"]


def test_second_factor_resets_record_what_was_removed(ada, alice):
    from accounts.services import mfa_reset

    mfa_reset(user=alice, by=ada)
    event = _last("user.mfa_reset")
    assert event.changes["authenticators"] == [["totp"], []]


def test_the_home_lists_record_the_clients_they_show(client, alice):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import make_client, make_session

    record = make_client(alice)
    make_session(record, alice, starts_at=timezone.now() - timedelta(days=1))
    client.force_login(alice)
    assert client.get("/").status_code == 200
    event = _last("home.list_view")
    assert event.actor == alice
    assert event.changes == {"clients": [str(record.code)]}


def test_the_caseload_dashboard_records_the_clients_it_shows(client, alice):
    from tests.factories import make_client

    record = make_client(alice)
    client.force_login(alice)
    assert client.get("/dashboards/caseload/").status_code == 200
    event = _last("caseload.view")
    assert event.actor == alice
    assert str(record.code) in event.changes["clients"]
