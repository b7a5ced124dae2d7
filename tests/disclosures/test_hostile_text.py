"""Stored XSS (WEB-01) on the release pages: the payload corpus in a recipient and a
description renders inert on the accounting page and the release forms, and the PDF carries
it as plain text with no actions, links or scripts."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader
from pypdf.generic import ArrayObject

from disclosures.models import Disclosure
from tests.disclosures.conftest import browser_for, pdf_text
from tests.security.test_stored_xss import MARK, PAYLOADS, _Inert

pytestmark = pytest.mark.django_db


def _active_parts(content: bytes) -> list[str]:
    """What a PDF reader could run or follow: document scripts, additional actions, forms,
    annotations (links). fpdf2's /OpenAction is a page destination (how the first page opens),
    never an action dictionary."""
    reader = PdfReader(io.BytesIO(content))
    catalog = reader.trailer["/Root"]
    found = [key for key in ("/AA", "/AcroForm", "/Names") if key in catalog]
    if "/OpenAction" in catalog and not isinstance(
        catalog["/OpenAction"].get_object(), ArrayObject
    ):
        found.append("/OpenAction")
    for number, page in enumerate(reader.pages):
        found += [f"page {number} {key}" for key in ("/Annots", "/AA") if key in page]
    return found


def test_payloads_render_inert_everywhere(record, alice, bob):
    browser = browser_for(alice)
    client = record["client"]
    for n, payload in enumerate(PAYLOADS):
        response = browser.post(
            reverse("disclosures:authorization_create", args=[client.code]),
            {
                "purpose": "CONTINUITY_OF_CARE",
                "recipient": payload,
                "covers_psychotherapy_notes": "on",
                "signed_on": "2026-01-05",
            },
        )
        assert response.status_code == 302
        release = browser.post(
            reverse("disclosures:release", args=[client.code]),
            {
                "recipient": payload,
                "purpose": "LEGAL",
                "description": PAYLOADS[-1 - n],
            },
        )
        assert release.status_code == 200
        body = release.content
        assert _active_parts(body) == []
        assert MARK in pdf_text(body)
    note = browser.post(
        reverse("disclosures:process_note_release", args=[record["session"].code]),
        {"purpose": "CONTINUITY_OF_CARE", "description": PAYLOADS[0]},
    )
    assert note.status_code == 200
    assert _active_parts(note.content) == []
    assert Disclosure.objects.count() == len(PAYLOADS) + 1

    pages = [
        (alice, reverse("disclosures:report", args=[client.code])),
        (bob, reverse("disclosures:report", args=[client.code])),
        (alice, reverse("disclosures:release", args=[client.code])),
        (
            alice,
            reverse("disclosures:process_note_release", args=[record["session"].code]),
        ),
    ]
    shown = 0
    for user, url in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = browser_for(user).get(url, headers=headers)
            assert response.status_code == 200
            parser = _Inert()
            parser.feed(response.content.decode())
            assert parser.live == [], (url, parser.live[:3])
            shown += parser.shown
    assert shown > 20
