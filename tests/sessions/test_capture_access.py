"""Persona matrix for every capture URL: Alice writes, Bob reads (403 on writes), Charlie and Ada
see nothing clinical (404), Ada manages the indicator set, anonymous users go to login."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sessions.models import AttunementMoment, IntegrationIndicator

READS = ["capture", "capture_summary", "ratings"]
WRITES = ["capture_tag", "capture_repair", "capture_undo", "ratings"]


@pytest.fixture
def moment(alice, alices_session):
    return AttunementMoment.objects.create(
        session=alices_session, minute=4, process="MATCH", created_by=alice
    )


def session_url(name, session):
    return reverse(f"sessions:{name}", args=[session.code])


EXPECTED_READ = {"alice": 200, "bob": 200, "charlie": 404, "ada": 404}
EXPECTED_WRITE = {"alice": (200, 302), "bob": 403, "charlie": 404, "ada": 404}


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "ada"])
@pytest.mark.parametrize("name", READS)
def test_clinical_reads(client, personas, alices_session, persona, name):
    client.force_login(personas[persona])
    response = client.get(session_url(name, alices_session))
    assert response.status_code == EXPECTED_READ[persona]


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "ada"])
@pytest.mark.parametrize("name", WRITES)
def test_clinical_writes(client, personas, alices_session, persona, name):
    client.force_login(personas[persona])
    response = client.post(session_url(name, alices_session), {"tag": "match"})
    expected = EXPECTED_WRITE[persona]
    if isinstance(expected, tuple):
        assert response.status_code in expected
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("bob", 403), ("charlie", 404), ("ada", 404)],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_event_edit(
    client, personas, alices_session, moment, persona, expected, method
):
    client.force_login(personas[persona])
    url = reverse(
        "sessions:event_edit", args=[alices_session.code, "attunement", moment.code]
    )
    response = getattr(client, method)(
        url, {"minute": "4", "process": "MATCH", "direction": "MUTUAL"}
    )
    if persona == "alice" and method == "post":
        expected = 302
    assert response.status_code == expected


def test_bob_reads_the_panel_without_controls(client, bob, alices_session, moment):
    client.force_login(bob)
    html = client.get(session_url("capture", alices_session)).content.decode()
    assert f'id="event-{moment.code}"' in html
    assert 'id="tag-form"' not in html
    assert "edit-link" not in html
    ratings = client.get(session_url("ratings", alices_session)).content.decode()
    assert "Save ratings" not in ratings


def indicator_urls():
    code = "flexible"
    return [
        ("get", reverse("sessions:indicator_list")),
        ("get", reverse("sessions:indicator_create")),
        ("get", reverse("sessions:indicator_edit", args=[code])),
        ("post", reverse("sessions:indicator_retire", args=[code])),
        ("post", reverse("sessions:indicator_reinstate", args=[code])),
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("ada", (200, 302)), ("alice", 404), ("bob", 404), ("charlie", 404)],
)
def test_indicator_admin_is_for_practice_admins(client, personas, persona, expected):
    client.force_login(personas[persona])
    for method, url in indicator_urls():
        response = getattr(client, method)(url)
        if isinstance(expected, tuple):
            assert response.status_code in expected, url
        else:
            assert response.status_code == expected, url
    assert IntegrationIndicator.objects.get(code="flexible").is_active


@pytest.mark.django_db
def test_anonymous_users_go_to_login(client, alices_session, moment):
    urls = [session_url(n, alices_session) for n in set(READS + WRITES)]
    urls.append(
        reverse(
            "sessions:event_edit",
            args=[alices_session.code, "attunement", moment.code],
        )
    )
    urls += [url for _, url in indicator_urls()]
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/")
