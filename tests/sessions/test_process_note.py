"""Psychotherapy (process) notes: one per session and author, autosaved, conflicts kept visible."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sessions.models import PsychotherapyNote

pytestmark = pytest.mark.django_db


def test_it_is_started_by_a_post_and_labelled_private(client, alice, alices_session):
    client.force_login(alice)
    url = reverse("sessions:process_note", args=[alices_session.code])
    html = client.get(url).content.decode()
    banner = (
        "Psychotherapy note — private to you; not part of the record, never shared, "
        "exported or shown to supervisors"
    )
    assert banner in html and "Start the note" in html
    assert not PsychotherapyNote.objects.filter(session=alices_session).exists()
    assert client.post(url, {"action": "start"})["Location"] == url
    assert client.post(url, {"action": "start"})["Location"] == url
    assert banner in client.get(url).content.decode()
    client.get(url)
    assert PsychotherapyNote.objects.filter(session=alices_session).count() == 1
    assert AuditEvent.objects.filter(action="process_note.view").count() == 2


def test_autosave_and_conflict(client, alice, alices_session):
    client.force_login(alice)
    client.post(
        reverse("sessions:process_note", args=[alices_session.code]),
        {"action": "start"},
    )
    url = reverse("sessions:process_note_autosave", args=[alices_session.code])
    headers = {"X-IPNB-Background": "autosave"}
    first = client.post(
        url, {"version": 1, "text": "From the laptop."}, headers=headers
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client.post(
        url, {"version": 1, "text": "From the phone."}, headers=headers
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "From the laptop." in html and "From the phone." in html
    assert (
        PsychotherapyNote.objects.get(session=alices_session).text == "From the laptop."
    )


def test_plain_save_conflict_is_a_409_page_with_both_texts(
    client, alice, alices_session
):
    client.force_login(alice)
    url = reverse("sessions:process_note", args=[alices_session.code])
    assert client.post(url, {"version": 1, "text": "One."}).status_code == 302
    response = client.post(url, {"version": 1, "text": "Two."})
    assert response.status_code == 409
    html = response.content.decode()
    assert "One." in html and "Two." in html


def test_the_session_page_links_it_only_for_the_clinician(
    client, alice, bob, alices_session
):
    url = reverse("sessions:session_detail", args=[alices_session.code])
    link = reverse("sessions:process_note", args=[alices_session.code])
    client.force_login(alice)
    assert link in client.get(url).content.decode()
    client.force_login(bob)
    assert link not in client.get(url).content.decode()


def test_each_author_has_their_own(client, alice, alices_client, alices_session):
    from clients.models import CaseAssignment
    from tests.factories import make_user

    colleague = make_user(email="co@example.org")
    CaseAssignment.objects.create(
        client=alices_client,
        therapist=colleague,
        role=CaseAssignment.Role.CO_THERAPIST,
        started_on=alices_client.intake_date,
    )
    url = reverse("sessions:process_note", args=[alices_session.code])
    client.force_login(alice)
    client.post(url, {"version": 1, "text": "Alice's own hunch."})
    client.force_login(colleague)
    client.post(url, {"action": "start"})
    html = client.get(url).content.decode()
    assert "Alice's own hunch." not in html
    assert PsychotherapyNote.objects.filter(session=alices_session).count() == 2
