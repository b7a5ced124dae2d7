"""The caseload list: search, filter, sort, pagination, htmx partial, audit and query budget."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import Client
from tests.factories import make_client, make_session, make_user

URL = "/clients/"


def names(response) -> list[str]:
    return [c.legal_name for c in response.context["page"]]


def test_it_lists_own_clients_and_supervisees_clients_read_only(
    client, alice, bob, charlie, alices_client
):
    make_client(bob, legal_name="Bob Own")
    make_client(charlie, legal_name="Charlie Own")
    client.force_login(bob)
    response = client.get(URL)
    assert names(response) == ["Bob Own", "Rosalind Marsh"]
    html = response.content.decode()
    assert "Read-only" in html
    assert "Alice Therapist" in html
    assert "Charlie Own" not in html
    client.force_login(alice)
    response = client.get(URL)
    assert names(response) == ["Rosalind Marsh"]
    assert "Read-only" not in response.content.decode()


def test_it_shows_preferred_name_pronouns_and_primary_therapist(
    client, alice, alices_client
):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "Roz (Rosalind Marsh)" in html
    assert "she/her" in html
    assert "Alice Therapist" in html


def test_it_searches_legal_and_preferred_names_case_insensitively(client, alice):
    make_client(alice, legal_name="Jonathan Ames", preferred_name="Jon")
    make_client(alice, legal_name="Marisol Vega")
    client.force_login(alice)
    # The search form POSTs: a name never travels in the URL.
    assert names(client.post(URL, {"q": "jon"})) == ["Jonathan Ames"]
    assert names(client.post(URL, {"q": "VEGA"})) == ["Marisol Vega"]
    assert names(client.post(URL, {"q": "nobody"})) == []
    nobody = client.post(URL, {"q": "nobody"}).content.decode()
    assert "No client matches" in nobody
    assert 'value="nobody"' in nobody  # what was typed stays in the field


def test_it_filters_by_status_active_by_default(client, alice):
    make_client(alice, legal_name="Active One")
    make_client(alice, legal_name="Waiting One", status=Client.Status.WAITLIST)
    make_client(
        alice,
        legal_name="Done One",
        status=Client.Status.DISCHARGED,
        discharge_date=date(2025, 6, 1),
    )
    client.force_login(alice)
    assert names(client.get(URL)) == ["Active One"]
    assert names(client.get(URL, {"status": "waitlist"})) == ["Waiting One"]
    assert names(client.get(URL, {"status": "discharged"})) == ["Done One"]
    assert len(names(client.get(URL, {"status": "all"}))) == 3
    # An unknown value falls back to the default instead of failing.
    assert names(client.get(URL, {"status": "bogus", "sort": "bogus"})) == [
        "Active One"
    ]


def test_it_sorts_by_name_last_session_next_session_and_intake(client, alice):
    now = timezone.now()
    a = make_client(alice, legal_name="Anna A", intake_date=date(2025, 3, 1))
    b = make_client(alice, legal_name="Bea B", intake_date=date(2025, 5, 1))
    c = make_client(alice, legal_name="Cy C", intake_date=date(2025, 1, 1))
    make_session(a, alice, starts_at=now - timedelta(days=30))
    make_session(b, alice, starts_at=now - timedelta(days=2))
    make_session(a, alice, starts_at=now + timedelta(days=9), status="SCHEDULED")
    make_session(c, alice, starts_at=now + timedelta(days=1), status="SCHEDULED")
    client.force_login(alice)
    assert names(client.get(URL, {"sort": "name"})) == ["Anna A", "Bea B", "Cy C"]
    assert names(client.get(URL, {"sort": "last_session"})) == [
        "Bea B",
        "Anna A",
        "Cy C",
    ]
    assert names(client.get(URL, {"sort": "next_session"})) == [
        "Cy C",
        "Anna A",
        "Bea B",
    ]
    assert names(client.get(URL, {"sort": "intake"})) == ["Bea B", "Anna A", "Cy C"]


def test_it_sorts_by_the_preferred_name_when_there_is_one(client, alice):
    make_client(alice, legal_name="Zed Zulu", preferred_name="Abe")
    make_client(alice, legal_name="Mia Mike")
    client.force_login(alice)
    assert names(client.get(URL)) == ["Zed Zulu", "Mia Mike"]


def test_it_paginates_at_fifty(client, alice):
    for n in range(53):
        make_client(alice, legal_name=f"Client {n:02d}")
    client.force_login(alice)
    first = client.get(URL)
    assert len(names(first)) == 50
    assert 'rel="next"' in first.content.decode()
    assert names(client.get(URL, {"page": 2})) == [
        "Client 50",
        "Client 51",
        "Client 52",
    ]


def test_htmx_requests_get_the_table_fragment(client, alice, alices_client):
    client.force_login(alice)
    response = client.post(URL, {"q": "roz"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "<table" in html and "Rosalind Marsh" in html
    assert "HX-Request" in response["Vary"]
    boosted = client.get(URL, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.content.decode()


def test_it_audits_the_list_with_the_codes_shown(client, alice, alices_client):
    other = make_client(alice, legal_name="Not Shown", status=Client.Status.WAITLIST)
    client.force_login(alice)
    client.get(URL)
    event = AuditEvent.objects.get(action="client.list_view")
    assert event.actor == alice
    assert event.changes == {"clients": [str(alices_client.code)]}
    assert str(other.code) not in str(event.changes)
    assert "Rosalind" not in str(event.changes)


# Session, user, the page with its count (a window count), audit event (a supervisor's
# supervisees are a subquery).
LIST_QUERIES = {"alice": 4, "bob": 4}


def _populate(therapist, count: int):
    now = timezone.now()
    for n in range(count):
        c = make_client(therapist, legal_name=f"Load {n}")
        for week in range(3):
            make_session(c, therapist, starts_at=now - timedelta(days=7 * (week + 1)))
        make_session(
            c, therapist, starts_at=now + timedelta(days=n + 1), status="SCHEDULED"
        )


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_the_query_count_does_not_grow_with_clients_or_sessions(
    client, django_assert_num_queries, personas, persona
):
    user = personas[persona]
    client.force_login(user)
    _populate(personas["alice"], 2)
    client.get(URL)  # warm up the session and the user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    _populate(personas["alice"], 12)
    _populate(make_user(), 5)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert len(response.context["page"]) == 14
    # Pinned: session, user, the page with its count, and the audit event.
    assert len(small.captured_queries) == LIST_QUERIES[persona]


def test_the_nav_link_and_new_client_button_are_there(client, alice):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert reverse("clients:client_create") in html


@pytest.mark.parametrize(
    ("asked", "number", "shown"),
    [(None, 1, 50), ("2", 2, 5), ("9", 2, 5), ("0", 2, 5), ("x", 1, 50)],
)
def test_a_page_of_the_caseload_is_the_paginators_page(alice, asked, number, shown):
    """The page read with its window count is the page Paginator.get_page gives."""
    from django.core.paginator import Paginator

    from clients import queries
    from ipnb_notes import access

    for n in range(55):
        make_client(alice, legal_name=f"Page {n:02d}")
    clients = queries.caseload(access.visible_clients(alice), user=alice)
    page = queries.caseload_page(clients, asked)
    expected = Paginator(clients, 50).get_page(asked)
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (
        expected.number,
        55,
        2,
    )
    assert page.number == number and len(page) == shown
    assert [c.code for c in page] == [c.code for c in expected]


def test_an_empty_caseload_reads_as_one_empty_page(alice):
    from clients import queries
    from ipnb_notes import access

    clients = queries.caseload(access.visible_clients(alice), user=alice)
    page = queries.caseload_page(clients, None)
    assert (page.number, page.paginator.count, list(page)) == (1, 0, [])
