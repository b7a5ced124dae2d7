"""Sessions and notes fixtures: Alice's client, an attended session, notes in each state.

Alice's supervision by Bob requires co-signature (tests/conftest.py), so a note Alice signs
waits for Bob; `alices_signed_note` is co-signed by Bob through the services.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sessions.models import ProgressNote
from sessions.notes import services as services
from tests.factories import make_client, make_note, make_session

NY = ZoneInfo("America/New_York")


@pytest.fixture
def alices_client(alice):
    return make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")


@pytest.fixture
def alices_session(alices_client, alice):
    return make_session(alices_client, alice)


@pytest.fixture
def alices_draft(alices_session):
    return make_note(
        alices_session,
        sections={"subjective": "Client reports a calmer week."},
        plan="Continue weekly.",
    )


def sign(note, by) -> ProgressNote:
    note = ProgressNote.objects.select_related("session", "client", "author").get(
        pk=note.pk
    )
    return services.note_sign(note=note, by=by)


@pytest.fixture
def alices_awaiting_note(alices_draft, alice, bob):
    return sign(alices_draft, alice)


@pytest.fixture
def alices_signed_note(alices_awaiting_note, bob):
    return services.note_cosign(note=alices_awaiting_note, by=bob)


@pytest.fixture
def second_session(alices_client, alice):
    return make_session(
        alices_client, alice, starts_at=datetime(2026, 3, 9, 10, 0, tzinfo=NY)
    )
