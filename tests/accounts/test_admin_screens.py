"""The practice admin's account screens: the user list, roles, supervision links, access."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import Supervision, User
from audit.models import AuditEvent
from tests.factories import (
    PASSWORD,
    make_supervision,
    make_user,
    mark_recently_authenticated,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("accounts:user_list")


def _names(response) -> list[str]:
    return [u.full_name for u in response.context["page"].object_list]


# --- User list ---------------------------------------------------------------------------------


def test_it_lists_users_with_role_supervisor_and_last_sign_in(client, ada, bob, alice):
    client.force_login(ada)
    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Therapist" in html
    assert "alice@example.org" in html
    assert "Bob Supervisor" in html
    assert "co-signs" in html  # Alice's supervision requires co-signature
    assert _names(response) == ["Ada Admin", "Alice Therapist", "Bob Supervisor"]


def test_it_filters_by_search_role_and_status(client, ada, bob, alice, charlie):
    services.user_deactivate(user=charlie, by=ada)
    client.force_login(ada)

    assert _names(client.post(LIST_URL, {"q": "ALICE"})) == ["Alice Therapist"]
    assert _names(client.post(LIST_URL, {"q": "bob@example"})) == ["Bob Supervisor"]
    assert _names(client.get(LIST_URL, {"role": "SUPERVISOR"})) == ["Bob Supervisor"]
    assert _names(client.get(LIST_URL, {"status": "inactive"})) == ["Charlie Unrelated"]
    assert "Charlie Unrelated" not in _names(client.get(LIST_URL, {"status": "active"}))
    assert _names(client.post(LIST_URL, {"role": "THERAPIST", "q": "nobody"})) == []


def test_it_sorts_by_the_chosen_column(client, ada, bob, alice):
    client.force_login(ada)

    by_email = _names(client.get(LIST_URL, {"sort": "email"}))
    assert by_email == ["Ada Admin", "Alice Therapist", "Bob Supervisor"]
    by_role = [u.role for u in client.get(LIST_URL, {"sort": "role"}).context["page"]]
    assert by_role == sorted(by_role)
    # An unknown sort falls back to the name instead of failing.
    assert client.get(LIST_URL, {"sort": "password"}).status_code == 200


def test_it_paginates_fifty_a_page(client, ada):
    for n in range(60):
        make_user(full_name=f"Zed {n:02d}")
    client.force_login(ada)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2, "sort": "name"})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 11
    assert "Page 2 of 2" in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_it_answers_htmx_with_the_rows_only(client, ada, alice):
    client.force_login(ada)
    response = client.post(LIST_URL, {"q": "alice"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert "Alice Therapist" in html
    assert "<table" in html


def test_the_list_costs_the_same_queries_for_many_users(
    client, ada, django_assert_num_queries
):
    supervisor = make_user(role=User.Role.SUPERVISOR)
    client.force_login(ada)

    def add_users(count):
        for _ in range(count):
            make_supervision(supervisor, make_user())

    add_users(3)
    # session, user, and the page of users with their count, current supervisions and
    # second factors (one statement)
    with django_assert_num_queries(3):
        client.get(LIST_URL)
    add_users(30)
    with django_assert_num_queries(3):
        client.get(LIST_URL)


# --- Roles -------------------------------------------------------------------------------------


def test_it_changes_a_role_and_records_old_and_new(client, ada, alice):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:user_change_role", args=[alice.code]), {"role": "SUPERVISOR"}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.role == User.Role.SUPERVISOR
    event = AuditEvent.objects.get(action="user.role_change")
    assert event.actor == ada
    assert event.target_code == str(alice.code)
    assert event.changes == {"role": ["THERAPIST", "SUPERVISOR"]}


def test_it_refuses_an_unknown_role_with_a_field_error(client, ada, alice):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:user_change_role", args=[alice.code]), {"role": "ROOT"}
    )

    assert response.status_code == 400
    assert 'id="id_role_error"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.role == User.Role.THERAPIST
    assert not AuditEvent.objects.filter(action="user.role_change").exists()


def test_a_role_change_asks_for_recent_authentication_first(client, ada, alice):
    client.force_login(ada)
    response = client.post(
        reverse("accounts:user_change_role", args=[alice.code]), {"role": "ADMIN"}
    )
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    alice.refresh_from_db()
    assert alice.role == User.Role.THERAPIST


def test_an_admin_cannot_drop_their_own_admin_role(client, ada):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:user_change_role", args=[ada.code]), {"role": "THERAPIST"}
    )

    assert response.status_code == 400
    assert "your own practice-admin role" in response.content.decode()
    ada.refresh_from_db()
    assert ada.is_practice_admin


# --- Supervision links -------------------------------------------------------------------------


def test_it_links_a_supervisor_with_co_signature(client, ada, charlie):
    supervisor = make_user(full_name="Dr. Supervisor", role=User.Role.SUPERVISOR)
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:supervision_create", args=[charlie.code]),
        {
            "supervisor": supervisor.code,
            "started_on": "2026-01-05",
            "requires_cosignature": "on",
        },
    )

    assert response.status_code == 302
    link = Supervision.objects.get(supervisee=charlie)
    assert link.supervisor == supervisor
    assert link.requires_cosignature is True
    assert link.started_on == date(2026, 1, 5)
    event = AuditEvent.objects.get(action="supervision.link")
    assert event.target_code == str(link.code)
    assert event.changes["requires_cosignature"] == [None, True]
    assert event.changes["supervisee"] == [None, str(charlie.code)]


def test_it_links_a_supervisor_without_co_signature(client, ada, charlie, bob):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    client.post(
        reverse("accounts:supervision_create", args=[charlie.code]),
        {"supervisor": bob.code, "started_on": "2026-01-05"},
    )

    link = Supervision.objects.get(supervisee=charlie)
    assert link.requires_cosignature is False
    detail = client.get(charlie.get_absolute_url()).content.decode()
    assert "Not required" in detail


def test_it_refuses_self_supervision(ada, bob):
    with pytest.raises(services.AccountError, match="themselves"):
        services.supervision_link(
            supervisor=bob,
            supervisee=bob,
            started_on=date(2026, 1, 5),
            requires_cosignature=False,
            by=ada,
        )
    # The screen does not even offer a user as their own supervisor.
    assert not Supervision.objects.filter(supervisor=bob, supervisee=bob).exists()


def test_the_screen_refuses_self_supervision_with_a_field_error(client, ada, bob):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:supervision_create", args=[bob.code]),
        {"supervisor": bob.code, "started_on": "2026-01-05"},
    )

    assert response.status_code == 400
    assert 'id="id_supervisor_error"' in response.content.decode()
    assert not Supervision.objects.filter(supervisee=bob).exists()


def test_it_refuses_a_supervisor_without_the_supervisor_role(
    client, ada, alice, charlie
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:supervision_create", args=[charlie.code]),
        {"supervisor": alice.code, "started_on": "2026-01-05"},
    )

    assert response.status_code == 400
    assert 'id="id_supervisor_error"' in response.content.decode()
    assert 'value="2026-01-05"' in response.content.decode()
    with pytest.raises(services.AccountError, match="supervisor role"):
        services.supervision_link(
            supervisor=alice,
            supervisee=charlie,
            started_on=date(2026, 1, 5),
            requires_cosignature=False,
            by=ada,
        )


def test_it_refuses_a_second_open_link_for_the_same_pair(client, ada, alice, bob):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:supervision_create", args=[alice.code]),
        {"supervisor": bob.code, "started_on": "2026-01-05"},
    )

    assert response.status_code == 400
    assert "already supervises" in response.content.decode()
    assert Supervision.objects.filter(supervisee=alice).count() == 1


def test_it_ends_a_supervision_link(client, ada, alice, bob):
    link = Supervision.objects.get(supervisee=alice)
    client.force_login(ada)
    response = client.post(reverse("accounts:supervision_end", args=[link.code]))

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None
    event = AuditEvent.objects.get(action="supervision.end")
    assert event.changes == {"ended_at": [None, link.ended_at.isoformat()]}
    # The end is the moment supervision stopped: nothing is current from then on.
    assert (
        not Supervision.objects.current(link.ended_at).filter(supervisee=alice).exists()
    )

    again = client.post(
        reverse("accounts:supervision_end", args=[link.code]), follow=True
    )
    assert "already ended" in again.content.decode()


# --- Deactivation and sessions -------------------------------------------------------------------


def _signed_in_client(user: User) -> Client:
    """A browser-like client that signed in through the real login form."""
    from tests.factories import sign_in

    browser = Client()
    response = sign_in(browser, user, PASSWORD)
    assert response.status_code == 302, response.content.decode()[:500]
    assert browser.get("/").status_code == 200
    return browser


def test_deactivating_ends_that_users_sessions_at_once(client, ada, alice, bob):
    alices_browser = _signed_in_client(alice)
    bobs_browser = _signed_in_client(bob)
    client.force_login(ada)

    response = client.post(reverse("accounts:user_deactivate", args=[alice.code]))

    assert response.status_code == 302
    next_request = alices_browser.get("/")
    assert next_request.status_code == 302
    assert next_request["Location"].startswith(reverse("account_login"))
    assert bobs_browser.get("/").status_code == 200
    alice.refresh_from_db()
    assert not alice.is_active
    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.changes == {"is_active": [True, False], "sessions_ended": 1}


def test_a_deactivated_user_cannot_sign_in(client, ada, alice):
    services.user_deactivate(user=alice, by=ada)

    response = client.post(
        reverse("account_login"), {"login": alice.email, "password": PASSWORD}
    )

    assert client.get("/").status_code == 302
    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session


def test_reactivation_lets_the_user_sign_in_again(client, ada, alice):
    services.user_deactivate(user=alice, by=ada)
    client.force_login(ada)
    mark_recently_authenticated(client, ada)

    response = client.post(reverse("accounts:user_reactivate", args=[alice.code]))

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    assert AuditEvent.objects.get(action="user.reactivate").changes == {
        "is_active": [False, True]
    }
    _signed_in_client(alice)


def test_an_admin_cannot_deactivate_themselves(client, ada):
    client.force_login(ada)
    response = client.post(
        reverse("accounts:user_deactivate", args=[ada.code]), follow=True
    )

    assert "cannot deactivate your own account" in response.content.decode()
    ada.refresh_from_db()
    assert ada.is_active


def test_ending_sessions_signs_the_user_out_but_keeps_the_account(client, ada, alice):
    first = _signed_in_client(alice)
    second = _signed_in_client(alice)
    client.force_login(ada)

    client.post(reverse("accounts:user_end_sessions", args=[alice.code]))

    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    assert AuditEvent.objects.get(action="user.end_sessions").changes == {
        "sessions_ended": 2
    }
    assert Session.objects.count() == 1  # the admin's own
    _signed_in_client(alice)


# --- Detail page ---------------------------------------------------------------------------------


def test_the_detail_page_shows_the_account_and_its_links(client, ada, alice, bob):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.get(alice.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "alice@example.org" in html
    assert "Bob Supervisor" in html
    assert "Required" in html
    bobs = client.get(bob.get_absolute_url()).content.decode()
    assert "Supervisees of Bob Supervisor" in bobs
    assert "Alice Therapist" in bobs


def test_the_detail_page_costs_the_same_queries_for_many_links(
    client, ada, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    supervisor = make_user(role=User.Role.SUPERVISOR)
    client.force_login(ada)
    mark_recently_authenticated(client, ada)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(supervisor.get_absolute_url()).status_code == 200
        return len(queries)

    make_supervision(supervisor, make_user())
    few = count()
    for _ in range(20):
        make_supervision(supervisor, make_user())
        make_user(role=User.Role.SUPERVISOR)
    assert count() == few
    # session, user, the account, its open caseload, its links, its invitation, its
    # authenticators, the supervisor choices
    with django_assert_num_queries(8):
        client.get(supervisor.get_absolute_url())
