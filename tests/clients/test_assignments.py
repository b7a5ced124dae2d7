"""Caseload assignment by the practice admin: list, primary reassignment, co-therapists, transfer."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import CaseAssignment, Client
from ipnb_notes import access
from tests.factories import (
    make_assignment,
    make_client,
    make_user,
    mark_recently_authenticated,
)

LIST = reverse("clients:assign_list")


def test_the_list_shows_every_client_with_therapists(
    client, ada, alice, charlie, alices_client
):
    dana = make_user(full_name="Dana Co")
    make_assignment(alices_client, dana)
    make_client(charlie, legal_name="Uma Charlie", status=Client.Status.WAITLIST)
    make_client(None, legal_name="Unassigned Person")
    client.force_login(ada)
    response = client.get(LIST)
    assert [c.legal_name for c in response.context["page"]] == [
        "Rosalind Marsh",
        "Uma Charlie",
        "Unassigned Person",
    ]
    html = response.content.decode()
    assert (
        "Alice Therapist" in html and "Dana Co" in html and "Charlie Unrelated" in html
    )


def test_the_list_searches_and_filters_by_therapist_and_status(
    client, ada, alice, charlie, alices_client
):
    make_client(charlie, legal_name="Uma Charlie", status=Client.Status.WAITLIST)
    client.force_login(ada)
    names = lambda r: [c.legal_name for c in r.context["page"]]  # noqa: E731
    assert names(client.post(LIST, {"q": "roz"})) == ["Rosalind Marsh"]
    assert names(client.get(LIST, {"therapist": str(charlie.code)})) == ["Uma Charlie"]
    assert names(client.get(LIST, {"status": "WAITLIST"})) == ["Uma Charlie"]
    assert len(names(client.get(LIST, {"therapist": "not-a-uuid"}))) == 2
    fragment = client.post(LIST, {"q": "uma"}, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    assert (
        reverse("clients:caseload_transfer", args=[charlie.code])
        in client.get(LIST, {"therapist": str(charlie.code)}).content.decode()
    )


def test_the_list_query_count_does_not_grow(
    client, ada, alice, django_assert_num_queries
):
    dana = make_user()
    for _n in range(3):
        make_assignment(make_client(alice), dana)
    client.force_login(ada)
    client.get(LIST)
    # 6 for the page, 1 for its audit event.
    with django_assert_num_queries(7):
        client.get(LIST)
    for _n in range(20):
        make_assignment(make_client(alice), dana)
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["page"]) == 23


def test_reassigning_the_primary_therapist_ends_the_old_assignment_today(
    client, ada, alice, charlie, alices_client
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("clients:assign_primary", args=[alices_client.code]),
        {"therapist": charlie.pk},
    )
    assert response.status_code == 302
    today = timezone.localdate()
    old = CaseAssignment.objects.get(client=alices_client, therapist=alice)
    new = CaseAssignment.objects.get(client=alices_client, therapist=charlie)
    assert old.ended_at is not None and timezone.localdate(old.ended_at) == today
    assert new.role == CaseAssignment.Role.PRIMARY
    assert new.started_on == today and new.ended_at is None
    event = AuditEvent.objects.get(action="client.assign_primary")
    assert event.actor == ada and event.client_code == alices_client.code
    assert event.changes["primary_therapist"] == [str(alice.code), str(charlie.code)]
    assert event.changes["ended_at"] == [None, old.ended_at.isoformat()]
    assert access.visible_clients(charlie).filter(pk=alices_client.pk).exists()


def test_a_co_therapist_promoted_to_primary_keeps_one_open_assignment(
    client, ada, alice, charlie, alices_client
):
    make_assignment(alices_client, charlie)
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    client.post(
        reverse("clients:assign_primary", args=[alices_client.code]),
        {"therapist": charlie.pk},
    )
    open_ = CaseAssignment.objects.filter(client=alices_client, ended_at__isnull=True)
    assert [(a.therapist, a.role) for a in open_] == [(charlie, "PRIMARY")]


def test_assigning_the_current_primary_again_is_a_field_error(
    client, ada, alice, alices_client
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("clients:assign_primary", args=[alices_client.code]),
        {"therapist": alice.pk},
    )
    assert response.status_code == 400
    assert "already the primary therapist" in response.content.decode()
    unknown = client.post(
        reverse("clients:assign_primary", args=[alices_client.code]),
        {"therapist": ada.pk},
    )
    assert unknown.status_code == 400
    assert "Select a valid choice" in unknown.content.decode()


def test_adding_and_ending_a_co_therapist(client, ada, alice, charlie, alices_client):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    add = reverse("clients:cotherapist_add", args=[alices_client.code])
    assert client.post(add, {"therapist": charlie.pk}).status_code == 302
    co = CaseAssignment.objects.get(client=alices_client, therapist=charlie)
    assert co.role == CaseAssignment.Role.CO_THERAPIST
    again = client.post(add, {"therapist": charlie.pk})
    assert again.status_code == 400 and "already assigned" in again.content.decode()
    assert (
        client.post(reverse("clients:assignment_end", args=[co.code])).status_code
        == 302
    )
    co.refresh_from_db()
    assert timezone.localdate(co.ended_at) == timezone.localdate()
    assert AuditEvent.objects.get(action="client.cotherapist_add").changes[
        "co_therapist"
    ] == [None, str(charlie.code)]
    assert AuditEvent.objects.get(action="client.assignment_end").changes[
        "co_therapist"
    ] == [str(charlie.code), None]


def test_a_primary_assignment_cannot_simply_be_ended(client, ada, alice, alices_client):
    primary = CaseAssignment.objects.get(client=alices_client)
    client.force_login(ada)
    response = client.post(
        reverse("clients:assignment_end", args=[primary.code]), follow=True
    )
    assert "Assign another primary therapist instead" in response.content.decode()
    primary.refresh_from_db()
    assert primary.ended_at is None


def test_transferring_a_caseload_moves_every_open_primary_assignment(
    client, ada, alice, charlie, alices_client
):
    second = make_client(alice, legal_name="Second Client")
    co_only = make_client(charlie, legal_name="Charlie Primary")
    make_assignment(co_only, alice)  # Alice is only a co-therapist here: it stays.
    dana = make_user(full_name="Dana New")
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    page = client.get(reverse("clients:caseload_transfer", args=[alice.code]))
    assert "Transfer 2 clients" in page.content.decode()
    response = client.post(
        reverse("clients:caseload_transfer", args=[alice.code]), {"therapist": dana.pk}
    )
    assert response.status_code == 302
    for c in (alices_client, second):
        primary = CaseAssignment.objects.get(
            client=c, role="PRIMARY", ended_at__isnull=True
        )
        assert primary.therapist == dana
    assert CaseAssignment.objects.get(client=co_only, therapist=alice).ended_at is None
    summary = AuditEvent.objects.get(action="caseload.transfer")
    assert summary.changes["primary_therapist"] == [str(alice.code), str(dana.code)]
    assert set(summary.changes["clients"]) == {
        str(alices_client.code),
        str(second.code),
    }
    assert (
        AuditEvent.objects.filter(
            action="client.assign_primary", changes__via="caseload_transfer"
        ).count()
        == 2
    )


def test_a_caseload_cannot_be_transferred_to_its_own_therapist(
    client, ada, alice, alices_client
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("clients:caseload_transfer", args=[alice.code]), {"therapist": alice.pk}
    )
    assert response.status_code == 400
    assert CaseAssignment.objects.get(client=alices_client).ended_at is None
