"""Past sessions still "Scheduled" surface at the top of the clinician's home, with one-click
Attended / No-show / Cancelled: an htmx post swaps the row, a plain post returns home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from sessions.models import TherapySession
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def forgotten(alice):
    jamie = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    return make_session(
        jamie,
        alice,
        starts_at=timezone.now() - timedelta(days=3),
        status=TherapySession.Status.SCHEDULED,
    )


def test_a_past_session_still_scheduled_is_at_the_top_of_home(client, alice, forgotten):
    client.force_login(alice)
    page = client.get(reverse("home")).content.decode()
    assert "Past sessions still scheduled" in page
    assert page.index("past-h") < page.index("today-h")
    row = page.split(f'id="past-{forgotten.code}"')[1].split("</tr>")[0]
    assert "Jay" in row
    for label in ("Attended", "No-show", "Cancelled"):
        assert f">{label}</button>" in row
    assert reverse("sessions:session_mark", args=[forgotten.code]) in row
    # A future scheduled session is not listed there.
    make_session(
        forgotten.client,
        alice,
        starts_at=timezone.now() + timedelta(days=1),
        status=TherapySession.Status.SCHEDULED,
    )
    page = client.get(reverse("home")).content.decode()
    assert page.count('<tr id="past-') == 1


def test_one_click_attended_swaps_the_row_and_is_audited(client, alice, forgotten):
    client.force_login(alice)
    url = reverse("sessions:session_mark", args=[forgotten.code])
    response = client.post(url, {"status": "ATTENDED"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    row = response.content.decode()
    assert row.strip().startswith(f'<tr id="past-{forgotten.code}"')
    assert "Marked <strong>Attended</strong>" in row
    assert reverse("sessions:note_edit", args=[forgotten.code]) in row
    forgotten.refresh_from_db()
    assert forgotten.status == "ATTENDED"
    [event] = AuditEvent.objects.filter(action="session.mark")
    assert event.changes == {"status": ["SCHEDULED", "ATTENDED"]}
    # Now it waits in Notes to write, no longer at the top.
    page = client.get(reverse("home")).content.decode()
    assert "Past sessions still scheduled" not in page


def test_without_script_a_no_show_returns_home_with_a_message(client, alice, forgotten):
    client.force_login(alice)
    url = reverse("sessions:session_mark", args=[forgotten.code])
    response = client.post(url, {"status": "NO_SHOW"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Session marked no-show." in response.content.decode()
    forgotten.refresh_from_db()
    assert (forgotten.status, forgotten.cancel_reason) == ("NO_SHOW", "NO_SHOW")


@pytest.mark.parametrize("status", ["LATE_CANCELLED", "SCHEDULED", "", "x" * 500])
def test_other_statuses_are_refused_and_nothing_changes(
    client, alice, forgotten, status
):
    client.force_login(alice)
    url = reverse("sessions:session_mark", args=[forgotten.code])
    response = client.post(url, {"status": status}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "Choose attended, no-show or cancelled." in response.content.decode()
    forgotten.refresh_from_db()
    assert forgotten.status == "SCHEDULED"


def test_a_session_marked_twice_says_so(client, alice, forgotten):
    client.force_login(alice)
    url = reverse("sessions:session_mark", args=[forgotten.code])
    client.post(url, {"status": "CANCELLED"})
    response = client.post(url, {"status": "ATTENDED"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "already marked cancelled" in response.content.decode()


def test_the_supervisor_may_not_mark_and_others_do_not_see_it(
    client, bob, charlie, forgotten
):
    url = reverse("sessions:session_mark", args=[forgotten.code])
    client.force_login(bob)
    assert client.post(url, {"status": "ATTENDED"}).status_code == 403
    client.force_login(charlie)
    assert client.post(url, {"status": "ATTENDED"}).status_code == 404
    forgotten.refresh_from_db()
    assert forgotten.status == "SCHEDULED"
