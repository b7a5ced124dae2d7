"""Creating and editing clients: validation, idempotency, audit, encryption at rest."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.forms import parse_diagnoses
from clients.models import CaseAssignment, Client

CREATE = reverse("clients:client_create")


def form_data(**overrides) -> dict:
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "legal_name": "Theodora Quinn",
        "preferred_name": "Teddy",
        "pronouns": "they/them",
        "date_of_birth": "1994-05-17",
        "email": "teddy@example.net",
        "phone": "555-0100",
        "status": "ACTIVE",
        "intake_date": "2026-01-12",
        "consent_to_treatment_on": "2026-01-12",
        "diagnoses_text": "F41.1 Generalized anxiety disorder\nF43.10 Post-traumatic stress disorder, unspecified",
        "presenting_concerns": "Wants steadier sleep and fewer shutdowns at work.",
    }
    data.update(overrides)
    return data


def test_a_therapist_creates_a_client_and_becomes_primary_therapist(client, alice):
    client.force_login(alice)
    response = client.post(CREATE, form_data())
    c = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == c.get_absolute_url()
    assert c.preferred_name == "Teddy"
    assert c.diagnoses == [
        {"code": "F41.1", "label": "Generalized anxiety disorder"},
        {"code": "F43.10", "label": "Post-traumatic stress disorder, unspecified"},
    ]
    assignment = CaseAssignment.objects.get(client=c)
    assert assignment.therapist == alice
    assert assignment.role == CaseAssignment.Role.PRIMARY
    assert client.get(c.get_absolute_url()).status_code == 200


def test_a_double_submit_creates_one_client(client, alice):
    client.force_login(alice)
    data = form_data()
    first = client.post(CREATE, data)
    second = client.post(CREATE, data)
    assert Client.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert AuditEvent.objects.filter(action="client.create").count() == 1


def test_the_blank_form_carries_a_fresh_idempotency_key(client, alice):
    client.force_login(alice)
    one = client.get(CREATE).context["form"]["idempotency_key"].value()
    two = client.get(CREATE).context["form"]["idempotency_key"].value()
    assert one and two and one != two


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"legal_name": ""}, "legal_name", "This field is required."),
        ({"date_of_birth": "2099-01-01"}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "31/02/1990"}, "date_of_birth", "Enter a valid date."),
        (
            {"status": "DISCHARGED", "discharge_date": ""},
            "discharge_date",
            "A discharged client needs a discharge date.",
        ),
        (
            {
                "status": "DISCHARGED",
                "intake_date": "2026-01-12",
                "discharge_date": "2025-12-01",
            },
            "discharge_date",
            "cannot be before the intake date",
        ),
        (
            {"status": "ACTIVE", "discharge_date": "2026-02-01"},
            "discharge_date",
            "Only a discharged client has a discharge date",
        ),
        ({"status": "SOMETHING"}, "status", "Select a valid choice."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        (
            {
                "diagnoses_text": "F41.1 Generalized anxiety disorder\nXYZ Worry\nU07.1 Covid"
            },
            "diagnoses_text",
            "Line 2: “XYZ” is not an ICD-10 code",
        ),
        (
            {"diagnoses_text": "F41.1"},
            "diagnoses_text",
            "Line 1: add the diagnosis label",
        ),
        (
            {"consent_to_treatment_on": "2099-01-01"},
            "consent_to_treatment_on",
            "cannot be in the future",
        ),
        ({"idempotency_key": "not-a-uuid"}, "idempotency_key", "Enter a valid UUID."),
    ],
)
def test_bad_input_gives_field_errors_and_keeps_what_was_typed(
    client, alice, overrides, field, message
):
    client.force_login(alice)
    data = form_data(**overrides)
    response = client.post(CREATE, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    html = response.content.decode()
    assert "Nothing you typed was lost" in html
    assert "Wants steadier sleep and fewer shutdowns at work." in html
    assert form["diagnoses_text"].value() == data["diagnoses_text"]
    assert Client.objects.count() == 0


def test_each_bad_diagnosis_line_gets_its_own_message():
    with pytest.raises(Exception) as exc:
        parse_diagnoses("Q12 x\nF41.1 Anxiety\n\nZ99.ABCDE long\nu07.1 Covid")
    messages = exc.value.messages
    assert len(messages) == 2
    assert messages[0].startswith("Line 4:") and messages[1].startswith("Line 5:")
    assert parse_diagnoses("f41.1 Anxiety\nZ63.0 - Relationship distress") == [
        {"code": "F41.1", "label": "Anxiety"},
        {"code": "Z63.0", "label": "Relationship distress"},
    ]


def test_the_create_audit_event_names_clinical_fields_without_their_values(
    client, alice
):
    client.force_login(alice)
    client.post(CREATE, form_data())
    c = Client.objects.get()
    event = AuditEvent.objects.get(action="client.create")
    assert event.client_code == c.code
    assert event.changes["status"] == [None, "ACTIVE"]
    assert event.changes["intake_date"] == [None, "2026-01-12"]
    assert event.changes["primary_therapist"] == [None, str(alice.code)]
    assert {"presenting_concerns", "diagnoses", "legal_name"} <= set(
        event.changes["fields"]
    )
    text = str(event.changes)
    for phi in ("Theodora", "Teddy", "steadier sleep", "F41.1", "1994", "555-0100"):
        assert phi not in text


def test_editing_saves_and_audits_changed_field_names_and_status_dates(
    client, alice, alices_client
):
    client.force_login(alice)
    edit = reverse("clients:client_edit", args=[alices_client.code])
    form = client.get(edit).context["form"]
    assert form["diagnoses_text"].value() == "F41.1 Generalized anxiety disorder"
    today = timezone.localdate()
    data = {
        "legal_name": "Rosalind Marsh",
        "preferred_name": "Roz",
        "pronouns": "she/her",
        "status": "DISCHARGED",
        "intake_date": "2025-01-06",
        "discharge_date": today.isoformat(),
        "diagnoses_text": "F41.1 Generalized anxiety disorder",
        "presenting_concerns": "Sleep is better; work feels manageable.",
    }
    response = client.post(edit, data)
    assert response.status_code == 302
    alices_client.refresh_from_db()
    assert alices_client.status == Client.Status.DISCHARGED
    assert (
        alices_client.presenting_concerns == "Sleep is better; work feels manageable."
    )
    event = AuditEvent.objects.get(action="client.update")
    assert event.changes["status"] == ["ACTIVE", "DISCHARGED"]
    assert event.changes["discharge_date"] == [None, today.isoformat()]
    assert event.changes["fields"] == ["presenting_concerns"]
    assert "Sleep" not in str(event.changes)


def test_an_invalid_edit_keeps_input_and_the_stored_record(
    client, alice, alices_client
):
    client.force_login(alice)
    edit = reverse("clients:client_edit", args=[alices_client.code])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        edit,
        {"legal_name": "Typed Name", "status": "ACTIVE", "date_of_birth": tomorrow},
    )
    assert response.status_code == 400
    assert 'value="Typed Name"' in response.content.decode()
    alices_client.refresh_from_db()
    assert alices_client.legal_name == "Rosalind Marsh"
    assert not AuditEvent.objects.filter(action="client.update").exists()


def test_presenting_concerns_are_encrypted_at_rest(alices_client):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT presenting_concerns FROM clients_client WHERE id = %s",
            [alices_client.pk],
        )
        (raw,) = cursor.fetchone()
    assert raw and "Sleep" not in raw and "since the move" not in raw
    assert Client.objects.get(pk=alices_client.pk).presenting_concerns.startswith(
        "Sleep"
    )


def test_goal_text_is_encrypted_at_rest(alices_goal):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text FROM clients_treatmentgoal WHERE id = %s", [alices_goal.pk]
        )
        (raw,) = cursor.fetchone()
    assert "grounding" not in raw


def test_a_co_therapist_may_edit_and_an_unchanged_save_writes_no_event(
    client, charlie, alices_client
):
    from tests.factories import make_assignment

    make_assignment(alices_client, charlie)
    client.force_login(charlie)
    edit = reverse("clients:client_edit", args=[alices_client.code])
    form = client.get(edit).context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in ((f.name, f.value()) for f in form)
    }
    assert client.post(edit, data).status_code == 302
    assert not AuditEvent.objects.filter(action="client.update").exists()
    data["pronouns"] = "she/they"
    assert client.post(edit, data).status_code == 302
    event = AuditEvent.objects.get(action="client.update")
    assert event.actor == charlie and event.changes == {"fields": ["pronouns"]}
