"""Only designated clinicians break the glass. A practice admin reads no clinical text, even
with the flag set on their row or a grant planted in the database; admins designate
clinicians (sudo mode, audited) and never themselves; a grant lasts 60 minutes and is emailed
at once, without the client's name, to the user and every admin; the emergency page lists no
clients: a look-up by exact code or by 3+ characters of a name, audited without the name."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from clients.models import EmergencyAccess
from tests.factories import (
    make_client,
    make_note,
    make_session,
    make_user,
    mark_recently_authenticated,
)

pytestmark = pytest.mark.django_db
URL = reverse("audit:emergency_access")
REASON = (
    "Client called the crisis line; the on-call clinician needs the safety plan now."
)
NAME = "Robin Quillfeather"


@pytest.fixture
def record(alice):
    from datetime import date

    return make_client(alice, legal_name=NAME, date_of_birth=date(1990, 4, 2))


@pytest.fixture
def dana(db):
    return make_user(full_name="Dana Oncall", can_break_glass=True)


def _signed_in(client, user):
    client.force_login(user)
    mark_recently_authenticated(client, user)
    return client


def _grant(client, user, record):
    _signed_in(client, user)
    return client.post(URL, {"client": str(record.code), "reason": REASON})


def test_an_admin_gets_404_even_with_the_flag_set_on_their_row(client, ada, record):
    User.objects.filter(pk=ada.pk).update(can_break_glass=True)
    _signed_in(client, ada)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"lookup-query": "Quill"}).status_code == 404
    assert _grant(client, ada, record).status_code == 404
    assert not EmergencyAccess.objects.exists()
    assert not AuditEvent.objects.filter(action="emergency_access.lookup").exists()


def test_an_admin_cannot_read_a_note_even_with_a_grant_planted_in_the_database(
    client, ada, alice, record
):
    User.objects.filter(pk=ada.pk).update(can_break_glass=True)
    session = make_session(record, alice)
    make_note(session)
    now = timezone.now()
    EmergencyAccess.objects.create(
        user=ada,
        client=record,
        reason=REASON,
        granted_at=now,
        expires_at=now + timedelta(minutes=60),
    )
    _signed_in(client, ada)
    assert (
        client.get(reverse("clients:client_detail", args=[record.code])).status_code
        == 404
    )
    page = client.get(reverse("sessions:session_detail", args=[session.code]))
    assert page.status_code == 404
    assert b"calmer week" not in page.content


def test_an_undesignated_clinician_gets_403(client, charlie, record):
    _signed_in(client, charlie)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"lookup-query": "Quill"}).status_code == 403


def test_an_admin_cannot_designate_themselves(client, ada):
    _signed_in(client, ada)
    response = client.post(
        reverse("accounts:user_break_glass", args=[ada.code]),
        {"can_break_glass": "on"},
        follow=True,
    )
    assert "cannot designate yourself" in response.content.decode()
    ada.refresh_from_db()
    assert not ada.can_break_glass
    assert not AuditEvent.objects.filter(action="user.break_glass_designation").exists()


def test_a_non_clinician_cannot_be_designated(client, ada):
    ann = make_user(full_name="Ann Admin", role=User.Role.ADMIN)
    _signed_in(client, ada)
    response = client.post(
        reverse("accounts:user_break_glass", args=[ann.code]),
        {"can_break_glass": "on"},
        follow=True,
    )
    assert "Only a therapist or a supervisor" in response.content.decode()
    ann.refresh_from_db()
    assert not ann.can_break_glass


def test_designation_needs_recent_authentication(client, ada, charlie):
    client.force_login(ada)
    response = client.post(
        reverse("accounts:user_break_glass", args=[charlie.code]),
        {"can_break_glass": "on"},
    )
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    charlie.refresh_from_db()
    assert not charlie.can_break_glass


def test_an_admin_designates_a_clinician_with_an_audited_change(client, ada, charlie):
    _signed_in(client, ada)
    client.post(
        reverse("accounts:user_break_glass", args=[charlie.code]),
        {"can_break_glass": "on"},
    )
    charlie.refresh_from_db()
    assert charlie.can_break_glass
    event = AuditEvent.objects.get(action="user.break_glass_designation")
    assert event.actor == ada and event.changes == {"can_break_glass": [False, True]}


def test_the_grant_expires_after_60_minutes(client, dana, record):
    assert settings.BREAK_GLASS_MINUTES == 60
    detail = reverse("clients:client_detail", args=[record.code])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _grant(client, dana, record).status_code == 302
    grant = EmergencyAccess.objects.get()
    assert grant.expires_at - grant.granted_at == timedelta(minutes=60)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        client.force_login(dana)
        assert client.get(detail).status_code == 200
    with time_machine.travel(start + timedelta(minutes=60), tick=False):
        client.force_login(dana)
        assert client.get(detail).status_code == 404


def test_the_user_and_every_admin_are_emailed_without_the_clients_name(
    client, dana, ada, alice, record, django_capture_on_commit_callbacks
):
    ann = make_user(full_name="Ann Admin", role=User.Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        _grant(client, dana, record)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert {dana.email, ada.email, ann.email, alice.email} <= set(message.to)
    text = message.subject + message.body
    assert "Robin" not in text and "Quillfeather" not in text
    assert reverse("clients:client_detail", args=[record.code]) in message.body


def test_the_page_lists_no_client_before_a_search(client, dana, record, alice):
    make_client(alice, legal_name="Sasha Otherclient")
    page = _signed_in(client, dana).get(URL).content.decode()
    assert "Quillfeather" not in page and "Otherclient" not in page
    assert str(record.code) not in page


def test_a_two_character_name_search_is_refused_beside_the_field(client, dana, record):
    response = _signed_in(client, dana).post(URL, {"lookup-query": "Ro"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_lookup-query_error"' in page
    assert "at least 3 characters" in page
    assert 'value="Ro"' in page
    assert "Quillfeather" not in page
    assert not AuditEvent.objects.filter(action="emergency_access.lookup").exists()


def test_a_name_search_is_audited_by_its_length_only(client, dana, record, alice):
    make_client(alice, legal_name="Sasha Otherclient")
    response = _signed_in(client, dana).post(URL, {"lookup-query": "quill"})
    assert response.status_code == 200
    page = response.content.decode()
    assert NAME in page and "Apr 2, 1990" in page
    assert "Otherclient" not in page
    event = AuditEvent.objects.get(action="emergency_access.lookup")
    assert event.actor == dana
    assert event.changes == {"by": "name", "length": 5, "matches": 1}
    every_event = json.dumps(list(AuditEvent.objects.values()), default=str).lower()
    assert "quill" not in every_event


def test_a_code_lookup_is_audited_with_the_client_code(client, dana, record):
    response = _signed_in(client, dana).post(URL, {"lookup-query": str(record.code)})
    assert NAME in response.content.decode()
    event = AuditEvent.objects.get(action="emergency_access.lookup")
    assert event.client_code == record.code
    assert event.changes == {"by": "code", "matches": 1}


def test_a_looked_up_client_is_opened_with_a_reason(client, dana, record):
    browser = _signed_in(client, dana)
    found = browser.post(URL, {"lookup-query": "Quillfeather"}).content.decode()
    assert f'value="{record.code}"' in found
    response = browser.post(URL, {"client": str(record.code), "reason": REASON})
    assert response.status_code == 302
    assert EmergencyAccess.objects.get().client == record


def test_the_grant_service_itself_refuses_anyone_not_designated(alice, ada, charlie):
    """The page is not the only guard: no caller of the service can open a record for a
    practice admin or an undesignated clinician."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from clients import services

    record = make_client(alice)
    for user in (ada, charlie):
        with pytest.raises((PermissionDenied, Http404)):
            services.emergency_access_grant(
                user=user, client=record, reason="A reason long enough to count."
            )
    assert not EmergencyAccess.objects.exists()
