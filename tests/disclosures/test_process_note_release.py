"""Disclosing a psychotherapy note (AUTHZ-04 (2)): 403 unless a current authorization of the
client names psychotherapy notes for the purpose; only the note's author reaches it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.models import Authorization, Disclosure, Purpose
from tests.disclosures.conftest import PROCESS, browser_for, pdf_text
from tests.factories import make_assignment

pytestmark = pytest.mark.django_db

FORM = {
    "purpose": Purpose.CONTINUITY_OF_CARE,
    "description": "Process note sent to the treating psychiatrist.",
}


def _url(record) -> str:
    return reverse("disclosures:process_note_release", args=[record["session"].code])


def test_without_an_authorization_it_is_refused(record, alice):
    response = browser_for(alice).post(_url(record), FORM)
    assert response.status_code == 403
    assert b"Nothing was released" in response.content
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(action="disclosure.refused").count() == 1


def test_with_a_current_authorization_it_releases_and_accounts(
    record, alice, psychotherapy_authorization
):
    response = browser_for(alice).post(_url(record), FORM)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert PROCESS in pdf_text(response.content)
    disclosure = Disclosure.objects.get()
    assert disclosure.kind == Disclosure.Kind.PSYCHOTHERAPY_NOTE
    assert disclosure.authorization == psychotherapy_authorization
    assert disclosure.recipient == psychotherapy_authorization.recipient
    assert disclosure.description == FORM["description"]
    assert disclosure.user == alice
    assert disclosure.sha256 == hashlib.sha256(response.content).hexdigest()
    assert response["X-Content-SHA256"] == disclosure.sha256


def _authorization(record, alice, **overrides) -> Authorization:
    fields = {
        "client": record["client"],
        "purpose": Purpose.CONTINUITY_OF_CARE,
        "recipient": "Dr. Rowan Vale",
        "covers_psychotherapy_notes": True,
        "signed_on": timezone.localdate() - timedelta(days=30),
        "recorded_by": alice,
    }
    return Authorization.objects.create(**{**fields, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        {"purpose": Purpose.LEGAL},
        {"covers_psychotherapy_notes": False},
        {"expires_on": timezone.localdate() - timedelta(days=1)},
        {"revoked_at": timezone.now()},
        {"signed_on": timezone.localdate() + timedelta(days=2)},
    ],
    ids=["other-purpose", "not-psychotherapy", "expired", "revoked", "not-yet-signed"],
)
def test_an_authorization_that_does_not_fit_is_refused(record, alice, overrides):
    _authorization(record, alice, **overrides)
    response = browser_for(alice).post(_url(record), FORM)
    assert response.status_code == 403
    assert not Disclosure.objects.exists()


def test_an_authorization_revoked_through_the_page_stops_the_release(
    record, alice, psychotherapy_authorization
):
    browser = browser_for(alice)
    revoke = reverse(
        "disclosures:authorization_revoke", args=[psychotherapy_authorization.code]
    )
    assert browser.post(revoke).status_code == 302
    assert browser.post(_url(record), FORM).status_code == 403


def test_only_the_author_reaches_it(
    record, alice, bob, charlie, ada, psychotherapy_authorization
):
    dora = make_assignment(record["client"], charlie).therapist  # a co-therapist now
    for user in (bob, dora, ada):
        for method in ("get", "post"):
            response = getattr(browser_for(user), method)(_url(record), FORM)
            assert response.status_code == 404, (user, method)
    assert not Disclosure.objects.exists()


def test_it_needs_a_recent_authentication(record, alice, psychotherapy_authorization):
    response = browser_for(alice, recent=False).post(_url(record), FORM)
    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"]
    assert not Disclosure.objects.exists()


def test_bad_input_is_explained_and_kept(record, alice, psychotherapy_authorization):
    response = browser_for(alice).post(
        _url(record), {"purpose": "BOGUS", "description": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_purpose_error"' in html
    assert 'id="id_description_error"' in html
    assert not Disclosure.objects.exists()


def test_the_page_lists_the_authorizations_that_apply(
    record, alice, psychotherapy_authorization
):
    html = browser_for(alice).get(_url(record)).content.decode()
    assert "Dr. Rowan Vale, psychiatrist" in html
