"""Treatment goals: add, edit, change status; validation; audit without goal text."""

from __future__ import annotations

from django.urls import reverse

from audit.models import AuditEvent
from clients.models import TreatmentGoal


def test_alice_adds_a_goal_from_the_client_page(client, alice, alices_client):
    client.force_login(alice)
    response = client.post(
        reverse("clients:goal_create", args=[alices_client.code]),
        {"text": "Return to the Sunday swim", "target_date": "2026-12-31"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#goals")
    goal = TreatmentGoal.objects.get()
    assert goal.text == "Return to the Sunday swim"
    assert goal.created_by == alice and goal.status == TreatmentGoal.Status.ACTIVE
    event = AuditEvent.objects.get(action="goal.create")
    assert event.client_code == alices_client.code
    assert event.changes == {
        "fields": ["text"],
        "status": [None, "ACTIVE"],
        "target_date": [None, "2026-12-31"],
    }
    assert (
        "Return to the Sunday swim"
        in client.get(alices_client.get_absolute_url()).content.decode()
    )


def test_a_goal_needs_text_and_a_real_date(client, alice, alices_client):
    client.force_login(alice)
    response = client.post(
        reverse("clients:goal_create", args=[alices_client.code]),
        {"text": "", "target_date": "2026-13-45"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["text"] == ["This field is required."]
    assert form.errors["target_date"] == ["Enter a valid date."]
    assert 'value="2026-13-45"' in response.content.decode()
    assert not TreatmentGoal.objects.exists()


def test_alice_edits_a_goal_and_the_audit_names_the_text_field_only(
    client, alice, alices_goal
):
    client.force_login(alice)
    response = client.post(
        reverse("clients:goal_edit", args=[alices_goal.code]),
        {"text": "Notice overwhelm earlier", "target_date": "", "status": "REVISED"},
    )
    assert response.status_code == 302
    alices_goal.refresh_from_db()
    assert alices_goal.text == "Notice overwhelm earlier"
    assert alices_goal.status == TreatmentGoal.Status.REVISED
    event = AuditEvent.objects.get(action="goal.update")
    assert event.changes == {"fields": ["text"], "status": ["ACTIVE", "REVISED"]}


def test_the_status_form_changes_only_the_status(client, alice, alices_goal):
    client.force_login(alice)
    response = client.post(
        reverse("clients:goal_status", args=[alices_goal.code]), {"status": "MET"}
    )
    assert response.status_code == 302
    alices_goal.refresh_from_db()
    assert alices_goal.status == TreatmentGoal.Status.MET
    assert AuditEvent.objects.get(action="goal.update").changes == {
        "status": ["ACTIVE", "MET"]
    }


def test_an_unknown_status_changes_nothing(client, alice, alices_goal):
    client.force_login(alice)
    response = client.post(
        reverse("clients:goal_status", args=[alices_goal.code]), {"status": "DONE"}
    )
    assert response.status_code == 302
    alices_goal.refresh_from_db()
    assert alices_goal.status == TreatmentGoal.Status.ACTIVE
    assert not AuditEvent.objects.filter(action="goal.update").exists()


def test_bob_cannot_change_alices_goal(client, bob, alices_goal):
    client.force_login(bob)
    assert (
        client.post(
            reverse("clients:goal_status", args=[alices_goal.code]), {"status": "MET"}
        ).status_code
        == 403
    )
    alices_goal.refresh_from_db()
    assert alices_goal.status == TreatmentGoal.Status.ACTIVE
