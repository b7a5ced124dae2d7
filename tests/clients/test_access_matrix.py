"""The persona matrix for every URL of the clients app.

- alice: full rights on her own caseload;
- bob: supervises Alice: reads her clients (200), every write answers 403;
- charlie: no link to Alice: her clients do not exist for him (404);
- ada: practice admin: 404 on clinical pages, 200 on the assignment pages;
- anonymous: sent to login.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_assignment, make_user, mark_recently_authenticated
from tests.urlwalk import all_routes

GOOD_CLIENT = {
    "legal_name": "Rosalind Marsh",
    "status": "ACTIVE",
    "intake_date": "2025-01-06",
}


def _targets(alice, alices_client, alices_goal, co):
    return {
        "client": alices_client.code,
        "goal": alices_goal.code,
        "assignment": co.code,
        "user": alice.code,
    }


# (url name, target kind, method, post data, expected status per persona)
MATRIX = [
    (
        "clients:client_list",
        None,
        "get",
        None,
        {"alice": 200, "bob": 200, "charlie": 200, "ada": 404},
    ),
    (
        "clients:client_create",
        None,
        "get",
        None,
        {"alice": 200, "bob": 200, "charlie": 200, "ada": 404},
    ),
    (
        "clients:client_detail",
        "client",
        "get",
        None,
        {"alice": 200, "bob": 200, "charlie": 404, "ada": 404},
    ),
    (
        "clients:client_edit",
        "client",
        "get",
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:client_edit",
        "client",
        "post",
        GOOD_CLIENT,
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:goal_create",
        "client",
        "get",
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:goal_create",
        "client",
        "post",
        {"text": "Sleep seven hours"},
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:goal_edit",
        "goal",
        "get",
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:goal_edit",
        "goal",
        "post",
        {"text": "Sleep", "status": "ACTIVE"},
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:goal_status",
        "goal",
        "post",
        {"status": "MET"},
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "clients:assign_list",
        None,
        "get",
        None,
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 200},
    ),
    (
        "clients:assign_detail",
        "client",
        "get",
        None,
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 200},
    ),
    (
        "clients:assign_primary",
        "client",
        "post",
        {},
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 400},
    ),
    (
        "clients:cotherapist_add",
        "client",
        "post",
        {},
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 400},
    ),
    (
        "clients:assignment_end",
        "assignment",
        "post",
        {},
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 302},
    ),
    (
        "clients:caseload_transfer",
        "user",
        "get",
        None,
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 200},
    ),
    (
        "clients:caseload_transfer",
        "user",
        "post",
        {},
        {"alice": 404, "bob": 404, "charlie": 404, "ada": 400},
    ),
]


def _url(name, kind, targets):
    return reverse(name, args=[targets[kind]] if kind else [])


@pytest.mark.parametrize(
    ("name", "kind", "method", "data", "expected"),
    MATRIX,
    ids=[f"{m[0]}-{m[2]}" for m in MATRIX],
)
@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "ada"])
def test_persona_matrix(
    client,
    personas,
    alices_client,
    alices_goal,
    persona,
    name,
    kind,
    method,
    data,
    expected,
):
    co = make_assignment(alices_client, make_user(full_name="Dana Co"))
    url = _url(name, kind, _targets(personas["alice"], alices_client, alices_goal, co))
    client.force_login(personas[persona])
    # The matrix is about who may do what; sudo mode has its own tests (security/test_step_up.py).
    mark_recently_authenticated(client, personas[persona])
    response = getattr(client, method)(url, data or {})
    assert response.status_code == expected[persona], (
        f"{persona} {method.upper()} {url}: {response.status_code}"
    )


@pytest.mark.parametrize(
    ("name", "kind", "method", "data", "expected"),
    MATRIX,
    ids=[f"{m[0]}-{m[2]}" for m in MATRIX],
)
def test_it_redirects_anonymous(
    client, alice, alices_client, alices_goal, name, kind, method, data, expected
):
    co = make_assignment(alices_client, make_user())
    url = _url(name, kind, _targets(alice, alices_client, alices_goal, co))
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    htmx = client.get(url, headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith("/accounts/login/")


def test_the_matrix_covers_every_clients_url():
    names = {r.name for r in all_routes() if r.name.startswith("clients:")}
    assert names == {m[0] for m in MATRIX}


def test_bob_sees_no_edit_controls_on_alices_client(
    client, bob, alices_client, alices_goal
):
    client.force_login(bob)
    html = client.get(alices_client.get_absolute_url()).content.decode()
    assert "read-only" in html
    assert reverse("clients:client_edit", args=[alices_client.code]) not in html
    assert reverse("clients:goal_edit", args=[alices_goal.code]) not in html
    assert reverse("sessions:session_create", args=[alices_client.code]) not in html


def test_the_admin_assignment_pages_show_no_clinical_text(
    client, ada, alice, alices_client, alices_goal
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    for url in (
        reverse("clients:assign_list"),
        reverse("clients:assign_detail", args=[alices_client.code]),
        reverse("clients:caseload_transfer", args=[alice.code]),
    ):
        html = client.get(url).content.decode()
        assert "Rosalind Marsh" in html
        assert "Sleep is short" not in html
        assert "F41.1" not in html
        assert "grounding practice" not in html


def test_the_nav_links_admins_to_assignments_and_clinicians_to_the_caseload(
    client, ada, alice
):
    client.force_login(ada)
    assert reverse("clients:assign_list") in client.get("/").content.decode()
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert reverse("clients:client_list") in html
    assert reverse("clients:assign_list") not in html
