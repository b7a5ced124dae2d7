"""Alice's client with a record to release: a goal, a signed note with an addendum, a draft
note and a psychotherapy note, each carrying its own sentinel string.

Alice's supervision by Bob requires co-signature (tests/conftest.py): her signed note waits
for Bob, which is still an author-signed note of the record.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from pypdf import PdfReader

from sessions.models import ProgressNote, PsychotherapyNote
from sessions.notes import services as note_services
from tests.factories import (
    make_client,
    make_goal,
    make_note,
    make_session,
    mark_recently_authenticated,
)

NY = ZoneInfo("America/New_York")
SIGNED = "SignedNoteSentinel7"
ADDENDUM = "AddendumSentinel7"
DRAFT = "DraftSentinel7"
PROCESS = "ProcessNoteSentinel7"
GOAL = "GoalSentinel7"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def browser_for(user, *, recent: bool = True) -> Client:
    browser = Client()
    browser.force_login(user)
    if recent:
        mark_recently_authenticated(browser, user)
    return browser


@pytest.fixture
def record(alice, bob):
    client = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    make_goal(client, alice, text=f"Widen the window of tolerance {GOAL}")
    signed_session = make_session(
        client, alice, starts_at=datetime(2026, 3, 2, 10, 0, tzinfo=NY)
    )
    note = make_note(
        signed_session,
        sections={"subjective": f"Calmer week {SIGNED}", "assessment": "Steadier."},
        plan="Continue weekly.",
    )
    note = note_services.note_sign(
        note=ProgressNote.objects.select_related("session", "client", "author").get(
            pk=note.pk
        ),
        by=alice,
    )
    note_services.addendum_add(note=note, by=alice, text=f"Late detail {ADDENDUM}")
    draft_session = make_session(
        client, alice, starts_at=datetime(2026, 3, 9, 10, 0, tzinfo=NY)
    )
    make_note(draft_session, sections={"subjective": f"Unfinished {DRAFT}"})
    pnote = PsychotherapyNote.objects.create(
        session=signed_session, author=alice, text=f"My hunch {PROCESS}"
    )
    return {"client": client, "note": note, "session": signed_session, "pnote": pnote}


@pytest.fixture
def psychotherapy_authorization(record, alice):
    from disclosures.models import Authorization, Purpose

    return Authorization.objects.create(
        client=record["client"],
        purpose=Purpose.CONTINUITY_OF_CARE,
        recipient="Dr. Rowan Vale, psychiatrist",
        covers_psychotherapy_notes=True,
        signed_on=datetime.now(NY).date() - timedelta(days=3),
        recorded_by=alice,
    )
