"""Release of the client record (AUD-07, AUTHZ-04 (1), CRY-03): the PDF, its digest, the
Disclosure row, the accounting page, and what the PDF must never hold."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.models import Disclosure, Purpose
from tests.disclosures.conftest import (
    ADDENDUM,
    DRAFT,
    GOAL,
    PROCESS,
    SIGNED,
    browser_for,
    pdf_text,
)

pytestmark = pytest.mark.django_db

FORM = {
    "recipient": "Dr. Rowan Vale, Riverside Clinic",
    "purpose": Purpose.CONTINUITY_OF_CARE,
    "description": "Record sent for the transfer of care.",
}


def _release(browser, client, **data):
    return browser.post(
        reverse("disclosures:release", args=[client.code]), {**FORM, **data}
    )


def test_a_release_creates_a_disclosure_with_every_field(record, alice):
    before = timezone.now()
    response = _release(browser_for(alice), record["client"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    (disclosure,) = Disclosure.objects.all()
    assert disclosure.client == record["client"]
    assert disclosure.user == alice
    assert disclosure.recipient == FORM["recipient"]
    assert disclosure.purpose == Purpose.CONTINUITY_OF_CARE
    assert disclosure.description == FORM["description"]
    assert disclosure.kind == Disclosure.Kind.RECORD
    assert disclosure.authorization is None
    assert before <= disclosure.disclosed_at <= timezone.now()
    assert disclosure.byte_size == len(response.content)
    event = AuditEvent.objects.get(action="disclosure.release")
    assert event.target_code == str(disclosure.code)
    assert event.changes["sha256"] == disclosure.sha256
    assert "Rowan" not in str(event.changes)  # the recipient is PHI: not in the trail


def test_the_digest_header_is_the_sha256_of_the_body_and_is_stored(record, alice):
    response = _release(browser_for(alice), record["client"])
    body = response.content
    digest = hashlib.sha256(body).hexdigest()
    assert response["X-Content-SHA256"] == digest
    assert Disclosure.objects.get().sha256 == digest
    # One flipped byte no longer verifies.
    flipped = bytes([body[0] ^ 1]) + body[1:]
    assert hashlib.sha256(flipped).hexdigest() != digest


def test_the_record_holds_signed_notes_and_addenda_never_drafts_or_process_notes(
    record, alice
):
    text = pdf_text(_release(browser_for(alice), record["client"]).content)
    assert "Jamie Rivers" in text
    assert GOAL in text
    assert SIGNED in text
    assert ADDENDUM in text
    assert DRAFT not in text
    assert PROCESS not in text


def test_a_period_limits_the_notes_released(record, alice):
    response = _release(
        browser_for(alice),
        record["client"],
        date_from="2026-03-05",
        date_to="2026-03-31",
    )
    text = pdf_text(response.content)
    assert SIGNED not in text
    disclosure = Disclosure.objects.get()
    assert str(disclosure.period_start) == "2026-03-05"
    assert str(disclosure.period_end) == "2026-03-31"


def test_the_accounting_lists_the_release_with_its_digest(record, alice, bob):
    _release(browser_for(alice), record["client"])
    disclosure = Disclosure.objects.get()
    url = reverse("disclosures:report", args=[record["client"].code])
    for reader in (alice, bob):
        page = browser_for(reader).get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert disclosure.sha256 in html
        assert "Dr. Rowan Vale" in html
        assert "Record sent for the transfer of care." in html
        assert "Alice Therapist" in html
    assert AuditEvent.objects.filter(action="disclosure.report_view").count() == 2


def test_the_accounting_covers_six_years(record, alice):
    old = Disclosure.objects.create(
        client=record["client"],
        user=alice,
        recipient="Long ago recipient",
        purpose=Purpose.LEGAL,
        description="Seven years back",
        kind=Disclosure.Kind.RECORD,
        sha256="0" * 64,
        byte_size=1,
        disclosed_at=timezone.now() - timedelta(days=7 * 365),
    )
    recent = Disclosure.objects.create(
        client=record["client"],
        user=alice,
        recipient="Recent recipient",
        purpose=Purpose.LEGAL,
        description="Five years back",
        kind=Disclosure.Kind.RECORD,
        sha256="1" * 64,
        byte_size=1,
        disclosed_at=timezone.now() - timedelta(days=5 * 365),
    )
    html = (
        browser_for(alice)
        .get(reverse("disclosures:report", args=[record["client"].code]))
        .content.decode()
    )
    assert recent.description in html
    assert old.description not in html


def test_disclosures_are_append_only_in_the_database(record, alice):
    _release(browser_for(alice), record["client"])
    disclosure = Disclosure.objects.get()
    for sql in (
        "UPDATE disclosures_disclosure SET byte_size = 1",
        "DELETE FROM disclosures_disclosure",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL ipnb.allow_audit_truncate = off")
        cursor.execute("TRUNCATE disclosures_disclosure CASCADE")
    with pytest.raises(DatabaseError), transaction.atomic():
        disclosure.description = "changed"
        disclosure.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).delete()
    assert Disclosure.objects.get().description == FORM["description"]


def test_recipient_and_description_are_encrypted_at_rest(record, alice):
    _release(browser_for(alice), record["client"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient, description FROM disclosures_disclosure")
        recipient, description = cursor.fetchone()
    assert "Rowan" not in recipient
    assert "transfer" not in description


def test_a_release_needs_a_recent_authentication(record, alice):
    browser = browser_for(alice, recent=False)
    url = reverse("disclosures:release", args=[record["client"].code])
    for response in (browser.get(url), browser.post(url, FORM)):
        assert response.status_code == 302
        assert "/reauthenticate/" in response["Location"]
    assert not Disclosure.objects.exists()


def test_bad_input_is_explained_beside_the_field_and_kept(record, alice):
    response = _release(
        browser_for(alice),
        record["client"],
        recipient="Dr. Kept Typed",
        description="  ",
        purpose="NOT_A_PURPOSE",
        date_from="2026-04-01",
        date_to="2026-03-01",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Dr. Kept Typed" in html
    assert 'id="id_description_error"' in html
    assert 'id="id_purpose_error"' in html
    assert "The period cannot end before it starts." in html
    assert 'value="2026-04-01"' in html
    assert not Disclosure.objects.exists()


def test_an_authorization_for_another_purpose_is_refused_by_the_form(
    record, alice, psychotherapy_authorization
):
    response = _release(
        browser_for(alice),
        record["client"],
        purpose=Purpose.LEGAL,
        authorization=str(psychotherapy_authorization.code),
    )
    assert response.status_code == 400
    assert 'id="id_authorization_error"' in response.content.decode()
    response = _release(
        browser_for(alice),
        record["client"],
        authorization=str(psychotherapy_authorization.code),
    )
    assert response.status_code == 200
    assert Disclosure.objects.get().authorization == psychotherapy_authorization


@pytest.mark.parametrize("method", ["get", "post"])
def test_who_may_release(record, alice, bob, charlie, ada, method):
    """The client's therapist releases; the supervisor reads the accounting but gets 403;
    anyone else does not learn the client exists (404)."""
    url = reverse("disclosures:release", args=[record["client"].code])
    expected = {alice: 200, bob: 403, charlie: 404, ada: 404}
    for user, status in expected.items():
        response = getattr(browser_for(user), method)(url, FORM)
        assert response.status_code == status, (user, method)
    report = reverse("disclosures:report", args=[record["client"].code])
    for user, status in {alice: 200, bob: 200, charlie: 404, ada: 404}.items():
        assert browser_for(user).get(report).status_code == status


@pytest.mark.parametrize(
    "text",
    [
        "Ünïcödé, 日本語のテキスト, العربية, emoji 🧠🫀, \u202e reversed",
        "x" * 20000,
        "word " * 3000,
        "bell\x07 escape\x1b tab\t cr\r\n<script>alert(1)</script>",
    ],
)
def test_any_text_makes_a_pdf(record, alice, text):
    response = _release(
        browser_for(alice),
        record["client"],
        recipient=text[:500],
        description=text[:2000],
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    pdf_text(response.content)


def test_without_a_unicode_font_text_is_transliterated(record, alice, settings):
    from disclosures import pdf

    pdf._font_path.cache_clear()
    settings.DISCLOSURE_PDF_FONT = "/nonexistent/font.ttf"
    try:
        response = _release(
            browser_for(alice),
            record["client"],
            recipient="Zoë Müller 日本 🧠",
        )
    finally:
        pdf._font_path.cache_clear()
    assert response.status_code == 200
    assert "Zoe Muller" in pdf_text(response.content)


def test_no_clinical_text_reaches_the_logs(record, alice, caplog):
    """AUD-09: the PDF library neither logs characters its font lacks nor the text it draws."""
    import logging

    caplog.set_level(logging.DEBUG)
    response = _release(
        browser_for(alice),
        record["client"],
        recipient="Dr. 𓂀 Glyphless ꙮ Recipient",
        description="Description ⿰ with characters DejaVu cannot draw",
    )
    assert response.status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for fragment in ("𓂀", "ꙮ", "⿰", "Glyphless", "DejaVu cannot", SIGNED, ADDENDUM):
        assert fragment not in logged
    assert "Glyphless" in pdf_text(response.content)
