"""The capture panel reads the user's edit right and the session's refusal with its timeline
(one round trip): both must say what access.can_edit_client and capture_refusal say on their
own, for every reader and every state of the session and its note."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ipnb_notes import access
from sessions.capture import services
from sessions.models import TherapySession
from tests.factories import make_note
from tests.sessions.conftest import sign


def _agree(session, user):
    session = TherapySession.objects.select_related("client").get(pk=session.pk)
    context = services.timeline_context(session, user=user)
    assert context["can_edit"] == access.can_edit_client(user, session.client)
    assert context["refusal"] == services.capture_refusal(session)
    return context


def test_without_a_user_the_timeline_says_nothing_of_rights(alices_session):
    context = services.timeline_context(alices_session)
    assert "can_edit" not in context
    assert "refusal" not in context


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_attended_session_without_a_note(personas, alices_session, persona):
    context = _agree(alices_session, personas[persona])
    # Alice treats the client; Bob supervises her and only reads.
    assert context["can_edit"] is (persona == "alice")
    assert context["refusal"] is None


def test_a_draft_leaves_the_session_open(alice, alices_draft):
    assert _agree(alices_draft.session, alice)["refusal"] is None


def test_a_note_awaiting_cosignature_locks_the_session(alice, alices_draft):
    sign(alices_draft, alice)
    assert _agree(alices_draft.session, alice)["refusal"] == services.LOCKED_MESSAGE


def test_a_signed_note_locks_the_session(alice, alices_signed_note):
    context = _agree(alices_signed_note.session, alice)
    assert context["refusal"] == services.LOCKED_MESSAGE


def test_a_cancelled_session_is_refused(alice, alices_session):
    alices_session.status = TherapySession.Status.CANCELLED
    alices_session.save(update_fields=["status"])
    context = _agree(alices_session, alice)
    assert context["refusal"] and "cancelled" in context["refusal"]


def test_an_ended_assignment_takes_the_edit_right(alice, alices_session):
    alices_session.client.assignments.filter(therapist=alice).update(
        ended_at=timezone.now()
    )
    assert _agree(alices_session, alice)["can_edit"] is False


def test_the_panel_shows_the_refusal_and_hides_the_controls(
    client, alice, alices_session
):
    make_note(alices_session, plan="Continue.")
    client.force_login(alice)
    url = reverse("sessions:capture", args=[alices_session.code])
    assert 'id="tag-form"' in client.get(url).content.decode()
    alices_session.status = TherapySession.Status.NO_SHOW
    alices_session.save(update_fields=["status"])
    html = client.get(url).content.decode()
    assert 'id="tag-form"' not in html
    assert "there is nothing to record" in html


def test_the_timeline_reads_the_open_ruptures_as_open_ruptures_does(alices_session):
    """The timeline bakes its reads from the session's values (batch.Baked, which compares
    each baked statement with its plain build under tests); its open ruptures are still the
    statement of services.open_ruptures(client, exclude_after=session)."""
    from ipnb_notes import batch
    from sessions.capture.services.timeline import _timeline_reads

    session = alices_session
    reads = _timeline_reads(
        session.pk, session.client_id, session.starts_at, 0, for_user=False
    )
    # After every kind's events (one statement) and the client's session starts.
    baked = reads[2].queryset
    plain = batch.sorted_here(
        services.open_ruptures(session.client, exclude_after=session)
    ).queryset
    assert str(baked.query) == str(plain.query)
