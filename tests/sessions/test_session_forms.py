"""Creating and editing sessions: idempotent create, local time, and field errors for bad input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sessions.models import TherapySession

pytestmark = pytest.mark.django_db

KEY = "0b7b3c52-4d5a-4e3f-9a1b-2c3d4e5f6a7b"


def form(**extra):
    return {
        "date": "2026-03-16",
        "start_time": "14:30",
        "duration_minutes": "50",
        "modality": "COUPLE",
        "setting": "TELEHEALTH",
        "status": "SCHEDULED",
        "service_code": "90847",
        "idempotency_key": KEY,
        **extra,
    }


def test_it_creates_a_session_in_local_time(client, alice, alices_client):
    client.force_login(alice)
    url = reverse("sessions:session_create", args=[alices_client.code])
    page = client.get(url).content.decode()
    assert 'name="idempotency_key"' in page
    response = client.post(url, form())
    session = TherapySession.objects.get(client=alices_client)
    assert response["Location"] == session.get_absolute_url()
    assert session.starts_at == datetime(
        2026, 3, 16, 14, 30, tzinfo=ZoneInfo("America/New_York")
    )
    assert session.therapist == alice
    assert session.modality == "COUPLE" and session.service_code == "90847"
    event = AuditEvent.objects.get(action="session.create")
    assert event.client_code == alices_client.code


def test_a_double_submit_creates_one_session(client, alice, alices_client):
    client.force_login(alice)
    url = reverse("sessions:session_create", args=[alices_client.code])
    first = client.post(url, form())
    second = client.post(url, form())
    assert first["Location"] == second["Location"]
    assert TherapySession.objects.filter(client=alices_client).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "2026-02-30", "Enter a valid date"),
        ("date", "1890-01-01", "between 2000"),
        ("start_time", "25:61", "Enter a valid time"),
        ("duration_minutes", "0", "greater than or equal to 5"),
        ("duration_minutes", "601", "less than or equal to 600"),
        ("duration_minutes", "fifty", "Enter a whole number"),
        ("modality", "HYPNOSIS", "Select a valid choice"),
        ("status", "MAYBE", "Select a valid choice"),
        ("service_code", "9!", "five-character service code"),
        ("status", "ATTENDED", "cannot be marked attended"),
    ],
)
def test_bad_input_gives_field_errors_and_keeps_input(
    client, alice, alices_client, field, value, message
):
    client.force_login(alice)
    url = reverse("sessions:session_create", args=[alices_client.code])
    data = form(**{field: value})
    if field == "status":
        data["date"] = "2027-03-16"
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="90847"' in html or field == "service_code"
    assert TherapySession.objects.count() == 0


def test_unknown_client_code_is_404(client, alice):
    client.force_login(alice)
    url = reverse(
        "sessions:session_create", args=["00000000-0000-0000-0000-000000000009"]
    )
    assert client.get(url).status_code == 404


def test_edit_keeps_a_session_with_a_note_attended(client, alice, alices_draft):
    client.force_login(alice)
    url = reverse("sessions:session_edit", args=[alices_draft.session.code])
    response = client.post(
        url, form(date="2026-03-02", start_time="10:00", status="CANCELLED")
    )
    assert response.status_code == 400
    assert "stays marked as attended" in response.content.decode()


def test_edit_cannot_move_a_signed_session(client, alice, alices_signed_note):
    client.force_login(alice)
    url = reverse("sessions:session_edit", args=[alices_signed_note.session.code])
    response = client.post(
        url, form(date="2026-03-03", start_time="10:00", status="ATTENDED")
    )
    assert response.status_code == 400
    assert "addendum" in response.content.decode()


def test_edit_changes_details_and_audits_them(client, alice, alices_session):
    client.force_login(alice)
    url = reverse("sessions:session_edit", args=[alices_session.code])
    response = client.post(
        url,
        form(
            date="2026-03-02",
            start_time="10:00",
            status="ATTENDED",
            duration_minutes="60",
        ),
    )
    assert response.status_code == 302
    alices_session.refresh_from_db()
    assert alices_session.duration_minutes == 60
    event = AuditEvent.objects.get(action="session.update")
    assert event.changes["duration_minutes"] == [50, 60]


def test_no_note_for_a_cancelled_session(client, alice, alices_client):
    from tests.factories import make_session

    session = make_session(alices_client, alice, status="CANCELLED")
    client.force_login(alice)
    url = reverse("sessions:note_edit", args=[session.code])
    assert client.get(url).status_code == 302
    assert client.post(url, {"action": "start"}).status_code == 302
    from sessions.models import ProgressNote

    assert not ProgressNote.objects.filter(session=session).exists()
