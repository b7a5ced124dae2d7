"""Recording and revoking a client's authorization to release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.models import Authorization, Purpose
from tests.disclosures.conftest import browser_for

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    return {
        "purpose": Purpose.LEGAL,
        "recipient": "Harbor Law, attorneys for the client",
        "covers_psychotherapy_notes": "on",
        "signed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        **overrides,
    }


def test_the_therapist_records_an_authorization(record, alice):
    url = reverse("disclosures:authorization_create", args=[record["client"].code])
    response = browser_for(alice).post(url, _form())
    assert response.status_code == 302
    authorization = Authorization.objects.get()
    assert authorization.recorded_by == alice
    assert authorization.covers_psychotherapy_notes is True
    assert authorization.is_current
    assert AuditEvent.objects.filter(action="authorization.record").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient FROM disclosures_authorization")
        assert "Harbor" not in cursor.fetchone()[0]
    html = (
        browser_for(alice)
        .get(reverse("disclosures:report", args=[record["client"].code]))
        .content.decode()
    )
    assert "Harbor Law, attorneys for the client" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recipient": "   "}, "This field is required"),
        (
            {"signed_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
            "cannot be in the future",
        ),
        (
            {
                "signed_on": "2026-01-10",
                "expires_on": "2026-01-01",
            },
            "cannot expire before it was signed",
        ),
        ({"signed_on": "2026-02-30"}, "Enter a valid date"),
    ],
)
def test_bad_input_is_explained_and_kept(record, alice, overrides, message):
    url = reverse("disclosures:authorization_create", args=[record["client"].code])
    data = _form(**{"recipient": "Kept Recipient Text", **overrides})
    response = browser_for(alice).post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if "recipient" not in overrides:
        assert "Kept Recipient Text" in html
    assert not Authorization.objects.exists()


def test_who_may_record_and_revoke(record, alice, bob, charlie, ada):
    create = reverse("disclosures:authorization_create", args=[record["client"].code])
    for user, status in {bob: 403, charlie: 404, ada: 404}.items():
        assert browser_for(user).post(create, _form()).status_code == status
    assert browser_for(alice).post(create, _form()).status_code == 302
    authorization = Authorization.objects.get()
    revoke = reverse("disclosures:authorization_revoke", args=[authorization.code])
    for user, status in {bob: 403, charlie: 404, ada: 404}.items():
        assert browser_for(user).post(revoke).status_code == status
    authorization.refresh_from_db()
    assert authorization.revoked_at is None
    assert browser_for(alice).post(revoke).status_code == 302
    authorization.refresh_from_db()
    assert authorization.revoked_by == alice
    assert not authorization.is_current
    first = authorization.revoked_at
    assert (
        browser_for(alice).post(revoke).status_code == 302
    )  # a second revoke: no change
    authorization.refresh_from_db()
    assert authorization.revoked_at == first
    assert AuditEvent.objects.filter(action="authorization.revoke").count() == 1


def test_an_authorization_can_be_revoked_but_never_edited_or_deleted(
    record, psychotherapy_authorization
):
    pk = psychotherapy_authorization.pk
    for sql, params in (
        ("UPDATE disclosures_authorization SET purpose = 'LEGAL' WHERE id = %s", [pk]),
        ("DELETE FROM disclosures_authorization WHERE id = %s", [pk]),
        (
            "UPDATE disclosures_authorization SET revoked_at = now(), signed_on = '2020-01-01'"
            " WHERE id = %s",
            [pk],
        ),
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    Authorization.objects.filter(pk=pk).update(revoked_at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        Authorization.objects.filter(pk=pk).update(revoked_at=None)


def test_key_rotation_reencrypts_authorizations_and_disclosures(
    record, alice, psychotherapy_authorization, settings
):
    """The append-only rows keep their content under a new key (rotate_keys finds every
    encrypted column and lifts these tables' triggers for its own statements only)."""
    import base64
    from io import StringIO

    from django.core.management import call_command

    from disclosures.models import Disclosure

    browser_for(alice).post(
        reverse("disclosures:process_note_release", args=[record["session"].code]),
        {"purpose": Purpose.CONTINUITY_OF_CARE, "description": "Sent to Dr. Vale."},
    )
    new_key = "k2027:" + base64.b64encode(b"d" * 32).decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    disclosure = Disclosure.objects.get()
    assert disclosure.description == "Sent to Dr. Vale."
    assert disclosure.recipient == "Dr. Rowan Vale, psychiatrist"
    assert Authorization.objects.get().recipient == "Dr. Rowan Vale, psychiatrist"
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(byte_size=1)
