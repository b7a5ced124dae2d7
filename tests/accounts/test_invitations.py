"""Inviting a user and the one-time, expiring link by which they set a password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, User
from audit.models import AuditEvent
from tests.factories import make_user, mark_recently_authenticated

pytestmark = pytest.mark.django_db

INVITE_URL = reverse("accounts:user_invite")
NEW_PASSWORD = "a long and quiet river 2026"


def _invite(client, django_capture_on_commit_callbacks, **overrides):
    data = {
        "full_name": "Nia Okoro",
        "email": "Nia.Okoro@Example.org",
        "credentials": "LMFT",
        "role": User.Role.THERAPIST,
        **overrides,
    }
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(INVITE_URL, data)


def _link_from(message) -> str:
    match = re.search(r"https?://\S+/invitation/(\S+)/", message.body)
    assert match, message.body
    return f"/invitation/{match.group(1)}/"


SET_PASSWORD_URL = "/invitation/set-password/"


def _open(client, link) -> str:
    """Follow the emailed link: the token moves into the session and the form is served at
    an address without it."""
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == SET_PASSWORD_URL
    return SET_PASSWORD_URL


def test_it_invites_a_user_and_emails_a_one_time_link(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = _invite(client, django_capture_on_commit_callbacks)

    user = User.objects.get(email="nia.okoro@example.org")
    assert response.status_code == 302
    assert response["Location"] == user.get_absolute_url()
    assert user.role == User.Role.THERAPIST
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nia.okoro@example.org"]
    assert "/invitation/" in message.body
    event = AuditEvent.objects.get(action="user.invite")
    assert event.actor == ada
    assert event.target_code == str(user.code)
    assert event.changes == {
        "email": [None, "nia.okoro@example.org"],
        "role": [None, "THERAPIST"],
    }


def test_it_stores_only_a_hash_of_the_token(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)

    token = _link_from(mail.outbox[0]).split("/")[2]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == services.hash_token(token)
    assert token not in invitation.token_hash
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - timedelta(hours=72)) < timedelta(seconds=1)


def test_it_puts_no_clinical_information_in_the_email(
    client, ada, alice, django_capture_on_commit_callbacks
):
    from tests.factories import make_client

    make_client(alice, legal_name="Rosalind Quimby")
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)

    message = mail.outbox[0]
    text = message.subject + message.body
    assert "Rosalind" not in text
    assert "Quimby" not in text
    assert "client" not in text.lower()


def test_it_keeps_what_was_typed_and_shows_field_errors(client, ada):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        INVITE_URL,
        {"full_name": "Nia Okoro", "email": "not-an-email", "role": "THERAPIST"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Nia Okoro"' in html
    assert 'value="not-an-email"' in html
    assert 'id="id_email_error"' in html
    assert "Enter a valid email address." in html
    assert not User.objects.filter(full_name="Nia Okoro").exists()
    assert mail.outbox == []


def test_it_requires_a_name_and_a_known_role(client, ada):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        INVITE_URL, {"full_name": "", "email": "x@example.org", "role": "OWNER"}
    )

    html = response.content.decode()
    assert 'id="id_full_name_error"' in html
    assert 'id="id_role_error"' in html
    assert 'value="x@example.org"' in html


def test_it_refuses_an_email_already_in_use_whatever_its_case(client, ada, alice):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        INVITE_URL,
        {
            "full_name": "Second Alice",
            "email": "ALICE@example.ORG",
            "role": "THERAPIST",
        },
    )

    assert response.status_code == 200
    assert "An account with this email address already exists." in (
        response.content.decode()
    )
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1


def test_the_service_refuses_a_duplicate_email_too(ada, alice):
    with pytest.raises(services.AccountError):
        services.user_invite(
            email=" Alice@Example.org ",
            full_name="Dup",
            role=User.Role.THERAPIST,
            by=ada,
        )


def test_it_lets_the_invitee_set_a_password_once(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])
    client.logout()

    page = client.get(_open(client, link))
    assert page.status_code == 200
    assert "Welcome, Nia Okoro" in page.content.decode()

    response = client.post(
        SET_PASSWORD_URL, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    user = User.objects.get(email="nia.okoro@example.org")
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.objects.filter(action="user.invite_accept", actor=user).exists()

    assert client.get(link).status_code == 404
    again = client.post(link, {"password1": "x" * 20, "password2": "x" * 20})
    assert again.status_code == 404
    assert client.get(SET_PASSWORD_URL).status_code == 404
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_invitee_then_signs_in(client, ada, django_capture_on_commit_callbacks):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])
    client.logout()
    client.post(
        _open(client, link), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    response = client.post(
        reverse("account_login"),
        {"login": "NIA.okoro@example.org", "password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    # Signed in, and sent to set up a second factor before anything else (every role).
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == reverse("mfa_index")


def test_it_refuses_an_expired_link(client, ada, django_capture_on_commit_callbacks):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])
    client.logout()
    form_url = _open(client, link)  # opened in time, sent too late

    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        response = client.get(link)
        posted = client.post(
            form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
    assert response.status_code == 404
    assert "cannot be used" in response.content.decode()
    assert posted.status_code == 404
    assert "cannot be used" in posted.content.decode()
    assert not User.objects.get(email="nia.okoro@example.org").has_usable_password()


def test_it_refuses_an_unknown_token(client):
    response = client.get("/invitation/not-a-real-token/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short."),
        ("password12345", "This password is too common."),
        ("83749201938475", "This password is entirely numeric."),
    ],
)
def test_it_refuses_a_weak_password_with_a_field_error(
    client, ada, django_capture_on_commit_callbacks, password, message
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])
    client.logout()

    response = client.post(
        _open(client, link), {"password1": password, "password2": password}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_password1_error"' in html
    assert message in html
    assert not User.objects.get(email="nia.okoro@example.org").has_usable_password()
    assert Invitation.objects.get().accepted_at is None


def test_it_refuses_two_different_passwords(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])
    client.logout()

    response = client.post(
        _open(client, link),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )

    assert 'id="id_password2_error"' in response.content.decode()


def test_resending_replaces_the_old_link(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    old_link = _link_from(mail.outbox[0])
    user = User.objects.get(email="nia.okoro@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation_resend", args=[user.code]))

    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new_link = _link_from(mail.outbox[1])
    assert new_link != old_link
    assert AuditEvent.objects.filter(action="user.invite_resend").count() == 1
    client.logout()
    assert client.get(old_link).status_code == 404
    assert client.get(_open(client, new_link)).status_code == 200


def test_it_does_not_resend_to_someone_who_has_a_password(client, ada, alice):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    response = client.post(
        reverse("accounts:invitation_resend", args=[alice.code]), follow=True
    )

    assert "already set a password" in response.content.decode()
    assert mail.outbox == []
    assert not Invitation.objects.filter(user=alice).exists()


def test_a_deactivated_invitee_cannot_use_the_link(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    mark_recently_authenticated(client, ada)
    _invite(client, django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])
    services.user_deactivate(
        user=User.objects.get(email="nia.okoro@example.org"), by=ada
    )
    client.logout()

    assert client.get(link).status_code == 404


def test_housekeeping_revokes_expired_invitations(ada):
    invitee = make_user(email="late@example.org")
    Invitation.objects.create(
        user=invitee,
        invited_by=ada,
        token_hash="h" * 64,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    assert services.purge_expired()["invitations"] == 1
    assert Invitation.objects.get().revoked_at is not None


def test_the_link_lifetime_follows_the_setting(
    client, ada, settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_TTL_HOURS = 24
    client.force_login(ada)
    mark_recently_authenticated(client, ada)

    assert "expires in 24 hours" in client.get(INVITE_URL).content.decode()
    response = _invite(client, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()

    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - timedelta(hours=24)) < timedelta(seconds=1)
    assert "expires in 24 hours" in client.get(response["Location"]).content.decode()


def test_the_database_itself_refuses_a_case_variant_of_an_email(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ALICE@example.org", full_name="Case Variant")


def test_a_simultaneous_duplicate_invitation_is_refused_cleanly(
    ada, alice, monkeypatch
):
    # Another admin's invitation commits between this one's check and its insert.
    manager = User.objects
    real_filter = manager.filter
    monkeypatch.setattr(
        manager,
        "filter",
        lambda *a, **kw: (
            manager.none() if "email__iexact" in kw else real_filter(*a, **kw)
        ),
    )

    with pytest.raises(services.AccountError, match="already exists"):
        services.user_invite(
            email="Alice@example.org",
            full_name="Second Alice",
            role=User.Role.THERAPIST,
            by=ada,
        )
    monkeypatch.undo()
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="user.invite").exists()
