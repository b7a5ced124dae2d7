"""The persona matrix for every sessions-and-notes URL.

- alice writes her own clients' sessions and notes (full access);
- bob supervises Alice: reads her signed record, co-signs, returns and comments, never edits
  (403), and never sees her drafts or process notes (404);
- charlie has no link to Alice: 404 everywhere;
- ada, the practice admin, reads no clinical record: 404 everywhere.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from sessions.models import ProgressNote

pytestmark = pytest.mark.django_db


def note_data(note, **extra):
    return {
        "version": note.version,
        "format": "SOAP",
        "section_subjective": "Steadier.",
        "plan": "Weekly.",
        **extra,
    }


@pytest.fixture
def world(alices_client, alices_session, alices_draft, second_session, alice, bob):
    from tests.factories import make_note
    from tests.sessions.conftest import sign

    awaiting = sign(make_note(second_session), alice)
    return {
        "client": alices_client,
        "session": alices_session,
        "draft": alices_draft,
        "awaiting": awaiting,
    }


def session_form(**extra):
    return {
        "date": "2026-03-16",
        "start_time": "10:00",
        "duration_minutes": "50",
        "modality": "INDIVIDUAL",
        "setting": "IN_PERSON",
        "status": "SCHEDULED",
        "service_code": "90837",
        **extra,
    }


# (name, method, url builder, data builder, {persona: expected status})
CASES = [
    (
        "session_create GET",
        "get",
        lambda w: reverse("sessions:session_create", args=[w["client"].code]),
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "session_create POST",
        "post",
        lambda w: reverse("sessions:session_create", args=[w["client"].code]),
        lambda w: session_form(),
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "session_detail",
        "get",
        lambda w: reverse("sessions:session_detail", args=[w["session"].code]),
        None,
        {"alice": 200, "bob": 200, "charlie": 404, "ada": 404},
    ),
    (
        "session_edit GET",
        "get",
        lambda w: reverse("sessions:session_edit", args=[w["session"].code]),
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "session_edit POST",
        "post",
        lambda w: reverse("sessions:session_edit", args=[w["session"].code]),
        lambda w: session_form(date="2026-03-02", status="ATTENDED"),
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_edit GET",
        "get",
        lambda w: reverse("sessions:note_edit", args=[w["session"].code]),
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_edit POST",
        "post",
        lambda w: reverse("sessions:note_edit", args=[w["session"].code]),
        lambda w: note_data(w["draft"]),
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_autosave",
        "post",
        lambda w: reverse("sessions:note_autosave", args=[w["session"].code]),
        lambda w: note_data(w["draft"]),
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_last_plan",
        "get",
        lambda w: reverse("sessions:note_last_plan", args=[w["session"].code]),
        None,
        {"alice": 200, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_sign",
        "post",
        lambda w: reverse("sessions:note_sign", args=[w["session"].code]),
        lambda w: note_data(w["draft"], attest="on"),
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_edit of a note awaiting co-signature",
        "get",
        lambda w: reverse("sessions:note_edit", args=[w["awaiting"].session.code]),
        None,
        {"alice": 403, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "note_detail of a draft",
        "get",
        lambda w: reverse("sessions:note_detail", args=[w["draft"].code]),
        None,
        {"alice": 302, "bob": 404, "charlie": 404, "ada": 404},
    ),
    (
        "note_detail",
        "get",
        lambda w: reverse("sessions:note_detail", args=[w["awaiting"].code]),
        None,
        {"alice": 200, "bob": 200, "charlie": 404, "ada": 404},
    ),
    (
        "note_cosign",
        "post",
        lambda w: reverse("sessions:note_cosign", args=[w["awaiting"].code]),
        lambda w: {"attest": "on"},
        {"alice": 403, "bob": 302, "charlie": 404, "ada": 404},
    ),
    (
        "note_return",
        "post",
        lambda w: reverse("sessions:note_return", args=[w["awaiting"].code]),
        lambda w: {"comment": "Name the intervention."},
        {"alice": 403, "bob": 302, "charlie": 404, "ada": 404},
    ),
    (
        "note_comment",
        "post",
        lambda w: reverse("sessions:note_comment", args=[w["awaiting"].code]),
        lambda w: {"text": "Good repair here."},
        {"alice": 403, "bob": 302, "charlie": 404, "ada": 404},
    ),
    (
        "addendum_create",
        "post",
        lambda w: reverse("sessions:addendum_create", args=[w["awaiting"].code]),
        lambda w: {"text": "Called the client.", "attest": "on"},
        {"alice": 302, "bob": 403, "charlie": 404, "ada": 404},
    ),
    (
        "process_note GET",
        "get",
        lambda w: reverse("sessions:process_note", args=[w["session"].code]),
        None,
        {"alice": 200, "bob": 404, "charlie": 404, "ada": 404},
    ),
    (
        "process_note POST",
        "post",
        lambda w: reverse("sessions:process_note", args=[w["session"].code]),
        lambda w: {"version": 1, "text": "My hunch."},
        {"alice": 302, "bob": 404, "charlie": 404, "ada": 404},
    ),
    (
        "process_note_autosave",
        "post",
        lambda w: reverse("sessions:process_note_autosave", args=[w["session"].code]),
        lambda w: {"version": 1, "text": "My hunch."},
        {"alice": 200, "bob": 404, "charlie": 404, "ada": 404},
    ),
]


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "ada"])
@pytest.mark.parametrize(
    ("name", "method", "url", "data", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_persona_matrix(
    client, personas, world, persona, name, method, url, data, expected
):
    client.force_login(personas[persona])
    kwargs = {"data": data(world)} if data else {}
    if name in ("note_autosave", "process_note_autosave"):
        kwargs["headers"] = {"X-IPNB-Background": "autosave"}
    response = getattr(client, method)(url(world), **kwargs)
    assert response.status_code == expected[persona], (
        f"{persona} {name}: {response.status_code}"
    )


@pytest.mark.parametrize(
    ("name", "method", "url", "data", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_anonymous_goes_to_login(client, world, name, method, url, data, expected):
    response = getattr(client, method)(url(world))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.get(url(world), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_background_requests_get_401_when_signed_out(client, world):
    url = reverse("sessions:note_autosave", args=[world["session"].code])
    response = client.post(
        url, note_data(world["draft"]), headers={"X-IPNB-Background": "autosave"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "login_required"


def test_supervisor_never_edits_even_by_posting(client, bob, world):
    client.force_login(bob)
    draft = world["draft"]
    client.post(
        reverse("sessions:note_edit", args=[draft.session.code]),
        note_data(draft, plan="Bob was here"),
    )
    assert ProgressNote.objects.get(pk=draft.pk).plan == "Continue weekly."


def test_supervisor_without_cosign_link_cannot_cosign(client, alice, world):
    from accounts.models import User
    from tests.factories import make_supervision, make_user

    dana = make_user(role=User.Role.SUPERVISOR, email="dana@example.org")
    make_supervision(dana, alice, requires_cosignature=False)
    client.force_login(dana)
    url = reverse("sessions:note_cosign", args=[world["awaiting"].code])
    assert client.post(url, {"attest": "on"}).status_code == 403
    # but she may comment and read
    assert client.get(world["awaiting"].get_absolute_url()).status_code == 200
