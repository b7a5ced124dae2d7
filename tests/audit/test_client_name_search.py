"""The audit report searched by a client's name (POSTed, at least 3 characters, audited by the
name's length only), and reached from the admin's page of a client, filtered by its code."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import audit
from audit.forms import CLIENT_MATCH_LIMIT, NAME_MIN_LENGTH
from audit.models import AuditEvent
from tests.factories import make_client, mark_recently_authenticated
from tests.security.test_authz_matrix import EXPECTED
from tests.test_page_budget import PAGE_BUDGET, _round_trips

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")
NAME = "Rosalind Marsh"


@pytest.fixture
def world(alice, charlie):
    rosalind = make_client(alice, legal_name=NAME, preferred_name="Roz")
    other = make_client(charlie, legal_name="Tomas Reyes")
    seen = audit.record("client.view", actor=alice, client_code=rosalind.code)
    elsewhere = audit.record("client.view", actor=charlie, client_code=other.code)
    return {"rosalind": rosalind, "other": other, "seen": seen, "elsewhere": elsewhere}


@pytest.fixture
def admin(client, ada):
    client.force_login(ada)
    return client


def _seqs(response) -> list[int]:
    return [e.seq for e in response.context["page"]]


def test_a_name_finds_the_events_of_the_matching_clients(admin, world):
    response = admin.post(URL, {"client_name": "marsh"})

    assert response.status_code == 200
    assert world["seen"].seq in _seqs(response)
    assert world["elsewhere"].seq not in _seqs(response)
    assert [c.code for c in response.context["matches"]] == [world["rosalind"].code]
    html = response.content.decode()
    # Each match leads to its events alone, by code: never by name.
    assert f'href="{URL}?client={world["rosalind"].code}"' in html
    # The name typed is kept in its field.
    assert 'value="marsh"' in html


def test_the_preferred_name_matches_too_and_the_filters_still_apply(admin, world, ada):
    response = admin.post(URL, {"client_name": "Roz", "action": "client.edit"})

    assert response.status_code == 200
    assert [c.code for c in response.context["matches"]] == [world["rosalind"].code]
    assert _seqs(response) == []


def test_a_name_matching_nobody_shows_no_events(admin, world):
    response = admin.post(URL, {"client_name": "Nobody At All"})

    assert response.status_code == 200
    assert _seqs(response) == []
    assert "No client's name contains this text." in response.content.decode()


@pytest.mark.parametrize("typed", ["", "ro", " r ", "  "])
def test_fewer_than_three_characters_get_a_message_beside_the_field(
    admin, world, typed
):
    before = AuditEvent.objects.count()

    response = admin.post(URL, {"client_name": typed})

    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(r'<p class="error" id="id_client_name_error">([^<]*)</p>', html)
    assert error
    if typed.strip():
        assert f"at least {NAME_MIN_LENGTH} characters" in error.group(1)
        assert f'value="{typed}"' in html  # what was typed is kept
    # A refused search reads nothing and records nothing.
    assert AuditEvent.objects.count() == before


def test_the_search_is_audited_by_the_names_length_never_the_name(admin, world, ada):
    admin.post(URL, {"client_name": "  Rosalind   Marsh ", "action": "client.view"})

    event = AuditEvent.objects.get(action="audit.report_client_search")
    assert event.actor == ada
    assert event.changes["name_length"] == len(NAME)
    assert event.changes["clients"] == [str(world["rosalind"].code)]
    assert event.changes["filters"] == {"action": "client.view"}
    stored = str(event.changes).lower()
    for part in ("rosalind", "marsh", "roz"):
        assert part not in stored
    # One event for the search, not a report view besides it.
    assert not AuditEvent.objects.filter(action="audit.report_view").exists()


def test_no_url_on_the_page_carries_the_name(admin, world):
    html = admin.post(URL, {"client_name": "Rosalind"}).content.decode()

    for url in re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', html):
        assert "rosalind" not in url.lower() and quote("Rosalind") not in url
        assert "client_name" not in url
    form = re.search(r'<form id="audit-name-search"[^>]*>', html).group(0)
    assert 'method="post"' in form


def test_a_name_in_the_query_string_is_not_a_search(admin, world):
    response = admin.get(URL, {"client_name": "Rosalind"})

    assert response.status_code == 200
    assert world["elsewhere"].seq in _seqs(response)
    assert 'value="Rosalind"' not in response.content.decode()


def test_paging_through_a_search_resubmits_the_form(admin, alice):
    rosalind = make_client(alice, legal_name=NAME)
    for _ in range(55):
        audit.record("client.view", actor=alice, client_code=rosalind.code)

    first = admin.post(URL, {"client_name": "marsh"}).content.decode()
    assert re.search(
        r'<button[^>]*form="audit-name-search"[^>]*name="page"[^>]*value="2"', first
    )
    second = admin.post(URL, {"client_name": "marsh", "page": "2"})
    assert second.context["page"].number == 2
    assert len(second.context["page"]) == 5


def test_at_most_the_limit_of_clients_are_matched(admin, alice):
    for n in range(CLIENT_MATCH_LIMIT + 3):
        make_client(alice, legal_name=f"Marsh Number{n:02d}")

    response = admin.post(URL, {"client_name": "marsh"})

    assert len(response.context["matches"]) == CLIENT_MATCH_LIMIT
    assert "type more of the name" in response.content.decode()


def test_the_search_stays_within_the_page_budget_whatever_the_data(admin, alice):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.post(URL, {"client_name": "marsh"}).status_code == 200
        return _round_trips(ctx.captured_queries)

    first = make_client(alice, legal_name="Marsh One")
    audit.record("client.view", actor=alice, client_code=first.code)
    few = count()
    for n in range(15):
        c = make_client(alice, legal_name=f"Marsh Number{n:02d}")
        for _ in range(4):
            audit.record("client.view", actor=alice, client_code=c.code)
    assert count() == few
    assert few <= PAGE_BUDGET


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert('xss7q')</script>",
        "' OR 1=1 --",
        "%' OR '1'='1",
        "\u202eMarsh",
        "Ma\x00rsh",
        "../../etc/passwd",
        '=HYPERLINK("http://evil.example")',
        "a" * 151,
        "ab \n" * 2000,
    ],
)
def test_hostile_names_never_answer_500_nor_render_as_markup(admin, world, typed):
    response = admin.post(URL, {"client_name": typed})

    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert "<script>alert('xss7q')</script>" not in html
    if response.status_code == 400 and "\x00" not in typed:
        assert 'id="id_client_name_error"' in html


def test_a_broken_filter_posted_with_the_name_is_refused_beside_its_field(admin, world):
    response = admin.post(URL, {"client_name": "Marsh", "sort": "password"})

    assert response.status_code == 400
    assert 'value="Marsh"' in response.content.decode()


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie"])
def test_clinicians_cannot_search_the_report(personas, world, persona):
    browser = Client()
    browser.force_login(personas[persona])

    response = browser.post(URL, {"client_name": "Rosalind"})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="audit.report_client_search").exists()


# --- The link from the admin's page of a client ------------------------------------------------


def test_the_admins_client_page_links_to_the_clients_audit_trail(admin, ada, world):
    mark_recently_authenticated(admin, ada)
    rosalind = world["rosalind"]

    page = admin.get(reverse("clients:assign_detail", args=[rosalind.code]))
    html = page.content.decode()
    link = re.search(r'<a href="([^"]*)">Audit trail for this client</a>', html)

    assert link, html[:300]
    href = link.group(1).replace("&amp;", "&")
    assert href == f"{URL}?client={rosalind.code}"
    report = admin.get(href)
    assert report.status_code == 200
    assert _seqs(report)[:1] and {e.client_code for e in report.context["page"]} == {
        rosalind.code
    }


def test_whoever_sees_the_link_may_read_the_report():
    """The link sits on the admin's client page with no condition of its own: everyone who may
    open that page must be allowed the report, and the clinicians' client page has none."""
    page_get, _ = EXPECTED["clients:assign_detail"]
    report_get, _ = EXPECTED["audit:event_list"]
    for may_open_page, may_read_report in zip(page_get, report_get, strict=True):
        assert may_open_page != "A" or may_read_report == "A"


def test_the_clinicians_client_page_has_no_audit_link(client, alice, world):
    client.force_login(alice)
    html = client.get(world["rosalind"].get_absolute_url()).content.decode()
    assert "Audit trail for this client" not in html
    assert URL not in html
