"""Deactivating a clinician who still has clients in care: the confirmation page says how many
and offers the caseload transfer first; deactivating anyway is an explicit, audited choice."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import queries, services
from audit.models import AuditEvent
from clients import services as client_services
from clients.models import CaseAssignment
from tests.factories import make_client, make_user, mark_recently_authenticated

pytestmark = pytest.mark.django_db


def _url(user) -> str:
    return reverse("accounts:user_deactivate", args=[user.code])


@pytest.fixture
def alice_caseload(alice, charlie):
    """Alice: primary therapist of two clients in care and one discharged, co-therapist of
    one of Charlie's."""
    first = make_client(alice, legal_name="Rosalind Marsh")
    second = make_client(alice, legal_name="Tomas Reyes", status="WAITLIST")
    make_client(alice, legal_name="Old Client", status="DISCHARGED")
    shared = make_client(charlie, legal_name="Shared Client")
    CaseAssignment.objects.create(
        client=shared, therapist=alice, role=CaseAssignment.Role.CO_THERAPIST
    )
    return [first, second, shared]


def test_the_open_caseload_counts_clients_in_care_by_role(alice, alice_caseload):
    caseload = queries.open_caseload(alice)

    assert (caseload.primary, caseload.co_therapist, caseload.total) == (2, 1, 3)
    assert caseload.by_role == [
        (CaseAssignment.Role.PRIMARY.label, 2),
        (CaseAssignment.Role.CO_THERAPIST.label, 1),
    ]


def test_the_confirmation_page_says_how_many_and_offers_the_transfer_first(
    client, ada, alice, alice_caseload
):
    client.force_login(ada)

    response = client.get(_url(alice))

    assert response.status_code == 200
    html = response.content.decode()
    assert "still has 3 clients in care" in html
    assert "Primary therapist of 2 clients" in html
    assert "Co-therapist of 1 client" in html
    transfer = reverse("clients:caseload_transfer", args=[alice.code])
    assert html.index(transfer) < html.index('class="danger"')
    # Counts only: no client is named on the page.
    for c in alice_caseload:
        assert c.legal_name not in html
    alice.refresh_from_db()
    assert alice.is_active  # a GET changes nothing


def test_the_user_page_warns_and_leads_to_the_confirmation(
    client, ada, alice, alice_caseload
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)

    html = client.get(alice.get_absolute_url()).content.decode()

    assert "primary therapist of 2 clients in care" in html
    assert reverse("clients:caseload_transfer", args=[alice.code]) in html
    assert f'href="{_url(alice)}"' in html
    assert f'action="{_url(alice)}"' not in html  # no one-click deactivation here


def test_deactivating_without_saying_so_is_refused_beside_the_field(
    client, ada, alice, alice_caseload
):
    client.force_login(ada)

    response = client.post(_url(alice), {"clients_seen": "3"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Transfer the caseload first, or tick this box" in html
    assert 'id="id_leave_caseload_error"' in html
    alice.refresh_from_db()
    assert alice.is_active
    assert not AuditEvent.objects.filter(action="user.deactivate").exists()


def test_a_caseload_that_changed_meanwhile_is_confirmed_again(
    client, ada, alice, alice_caseload
):
    client.force_login(ada)

    response = client.post(_url(alice), {"clients_seen": "1", "leave_caseload": "on"})

    assert response.status_code == 400
    assert "it is now 3" in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active


def test_deactivating_anyway_ends_access_and_records_the_clients_left(
    client, ada, alice, alice_caseload
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)  # the user page is in sudo mode

    response = client.post(
        _url(alice), {"clients_seen": "3", "leave_caseload": "on"}, follow=True
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert not alice.is_active
    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.changes["clients_left_assigned"] == {"primary": 2, "co_therapist": 1}
    html = response.content.decode()
    assert "3 client(s) in care still have Alice Therapist as their therapist" in html
    # The deactivated clinician's page still offers the transfer.
    assert reverse("clients:caseload_transfer", args=[alice.code]) in html


def test_after_the_transfer_deactivation_is_one_plain_step(
    client, ada, alice, charlie, alice_caseload
):
    client_services.caseload_transfer(
        from_therapist=alice, to_therapist=charlie, by=ada
    )
    # Alice is still co-therapist of one client: that one is ended by hand.
    CaseAssignment.objects.filter(therapist=alice, ended_at__isnull=True).delete()
    client.force_login(ada)

    page = client.get(_url(alice)).content.decode()
    assert "in care" not in page and "leave_caseload" not in page
    response = client.post(_url(alice), {"clients_seen": "0"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    event = AuditEvent.objects.get(action="user.deactivate")
    assert "clients_left_assigned" not in event.changes


def test_a_user_without_clients_is_deactivated_as_before(client, ada):
    nia = make_user(full_name="Nia Okoro")
    client.force_login(ada)

    response = client.post(_url(nia))

    assert response.status_code == 302
    nia.refresh_from_db()
    assert not nia.is_active


def test_the_service_records_the_clients_left_for_any_caller(
    ada, alice, alice_caseload
):
    services.user_deactivate(user=alice, by=ada)

    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.changes["clients_left_assigned"] == {"primary": 2, "co_therapist": 1}


@pytest.mark.parametrize(
    "data",
    [
        {"clients_seen": "<script>alert(1)</script>", "leave_caseload": "on"},
        {"clients_seen": "9" * 40, "leave_caseload": "on"},
        {"clients_seen": "\u202e3", "leave_caseload": "\x00"},
        {"leave_caseload": "' OR 1=1 --"},
    ],
)
def test_hostile_input_is_refused_without_a_500(
    client, ada, alice, alice_caseload, data
):
    client.force_login(ada)

    response = client.post(_url(alice), data)

    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_clinicians_cannot_reach_the_confirmation(personas, alice_caseload, method):
    for name in ("alice", "bob", "charlie"):
        browser = Client()
        browser.force_login(personas[name])
        target = personas["charlie" if name == "alice" else "alice"]
        response = getattr(browser, method)(_url(target), {"leave_caseload": "on"})
        assert response.status_code == 404
    personas["alice"].refresh_from_db()
    assert personas["alice"].is_active


def test_the_confirmation_costs_the_same_queries_whatever_the_caseload(
    client, ada, alice, charlie
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(ada)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(alice)).status_code == 200
        return len(ctx.captured_queries)

    make_client(alice)
    few = count()
    for _ in range(20):
        make_client(alice)
        shared = make_client(charlie)
        CaseAssignment.objects.create(
            client=shared, therapist=alice, role=CaseAssignment.Role.CO_THERAPIST
        )
    assert count() == few
    assert few <= 10


def test_the_confirmation_offers_nothing_for_ones_own_or_a_deactivated_account(
    client, ada, alice
):
    services.user_deactivate(user=alice, by=ada)
    client.force_login(ada)

    own = client.get(_url(ada)).content.decode()
    gone = client.get(_url(alice)).content.decode()

    assert "You cannot deactivate your own account" in own
    assert 'class="danger"' not in own
    assert "already deactivated" in gone
    assert 'class="danger"' not in gone
