"""Emergency (break-glass) access: designated users, typed reason, re-authentication,
time-boxed, read-only, always audited, shown to the client's therapist (AUTHZ-05)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import EmergencyAccess
from tests.factories import make_client, make_user, mark_recently_authenticated

pytestmark = pytest.mark.django_db
URL = "/practice/audit/emergency-access/"
REASON = (
    "Client called the crisis line; the on-call clinician needs the safety plan now."
)


@pytest.fixture
def record(alice):
    return make_client(alice, legal_name="Robin Emergency")


@pytest.fixture
def dana(db):
    return make_user(full_name="Dana Oncall", can_break_glass=True)


def _grant(client, user, record, reason=REASON):
    client.force_login(user)
    mark_recently_authenticated(client, user)
    return client.post(URL, {"client": str(record.code), "reason": reason})


def test_a_user_who_is_not_designated_gets_403(client, charlie, record):
    client.force_login(charlie)
    assert client.get(URL).status_code == 403
    assert _grant(client, charlie, record).status_code == 403
    assert not EmergencyAccess.objects.exists()


def test_a_reason_is_required(client, dana, record):
    response = _grant(client, dana, record, reason="need it")
    assert response.status_code == 400
    assert "at least 20 characters" in response.content.decode()
    assert not EmergencyAccess.objects.exists()


def test_it_needs_recent_authentication(client, dana, record):
    client.force_login(dana)
    response = client.post(URL, {"client": str(record.code), "reason": REASON})
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert not EmergencyAccess.objects.exists()


def test_a_designated_user_reads_the_record_until_the_grant_expires(
    client, dana, record, django_capture_on_commit_callbacks
):
    detail = reverse("clients:client_detail", args=[record.code])
    client.force_login(dana)
    assert client.get(detail).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = _grant(client, dana, record)
    assert response.status_code == 302
    assert response["Location"] == detail
    assert client.get(detail).status_code == 200

    grant = EmergencyAccess.objects.get()
    assert grant.expires_at - grant.granted_at == timedelta(minutes=60)
    assert AuditEvent.objects.filter(
        action="emergency_access.grant", client_code=record.code
    ).exists()
    assert AuditEvent.objects.filter(
        action="emergency_access.read", client_code=record.code, actor=dana
    ).exists()
    # The client's therapist, the practice admins and Dana herself are told.
    assert mail.outbox
    assert "alice@example.org" in mail.outbox[0].to
    assert "Robin" not in mail.outbox[0].body

    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        client.force_login(dana)
        assert client.get(detail).status_code == 404


def test_emergency_access_is_read_only(client, dana, record):
    _grant(client, dana, record)
    edit = reverse("clients:client_edit", args=[record.code])
    response = client.post(edit, {"legal_name": "Changed"})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.legal_name == "Robin Emergency"


def test_a_practice_admin_may_not_use_it(client, ada, record):
    assert _grant(client, ada, record).status_code == 404
    detail = reverse("clients:client_detail", args=[record.code])
    assert client.get(detail).status_code == 404
    assert not EmergencyAccess.objects.exists()


def test_the_grant_covers_one_client_only(client, dana, record, alice):
    other = make_client(alice)
    _grant(client, dana, record)
    other_page = reverse("clients:client_detail", args=[other.code])
    assert client.get(other_page).status_code == 404


def test_the_therapist_sees_who_when_and_why(client, dana, alice, record):
    _grant(client, dana, record)
    client.force_login(alice)
    home = client.get("/").content.decode()
    assert "Emergency access to your clients" in home
    assert "Dana Oncall" in home
    assert REASON in home
    page = client.get(reverse("clients:client_detail", args=[record.code]))
    assert "Dana Oncall" in page.content.decode()


def test_the_reason_is_encrypted_at_rest(dana, record, client):
    from django.db import connection

    _grant(client, dana, record)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM audit_emergencyaccess")
        (raw,) = cursor.fetchone()
    assert "crisis" not in raw


def test_a_grant_cannot_be_edited_or_removed(client, dana, record):
    from django.db import DatabaseError, transaction

    _grant(client, dana, record)
    grant = EmergencyAccess.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        EmergencyAccess.objects.filter(pk=grant.pk).update(
            expires_at=grant.expires_at + timedelta(days=30)
        )


def test_an_admin_designates_a_user_with_an_audited_change(client, ada, charlie):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    page = client.get(reverse("accounts:user_detail", args=[charlie.code]))
    assert "Designate for emergency access" in page.content.decode()
    response = client.post(
        reverse("accounts:user_break_glass", args=[charlie.code]),
        {"can_break_glass": "on"},
    )
    assert response.status_code == 302
    charlie.refresh_from_db()
    assert charlie.can_break_glass
    event = AuditEvent.objects.get(action="user.break_glass_designation")
    assert event.changes == {"can_break_glass": [False, True]}
    assert event.actor == ada
