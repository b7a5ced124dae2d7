"""Clinical free text is ciphertext in the database; rotate_keys moves it to a new key."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from ipnb_notes.fields import seal, seal_fields
from sessions.models import (
    Addendum,
    ProgressNote,
    PsychotherapyNote,
    SupervisionComment,
)
from sessions.notes import services as services

pytestmark = pytest.mark.django_db

NEW_KEY = "k2026:" + base64.b64encode(b"n" * 32).decode()


def raw_row(model, pk, columns):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {model._meta.db_table} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


@pytest.fixture
def record(alice, bob, alices_draft):
    """One of each encrypted thing, each holding a unique plaintext marker."""
    ProgressNote.objects.filter(pk=alices_draft.pk).update(
        **seal_fields(
            alices_draft,
            {
                "sections": {"subjective": "PLAIN-SUBJECTIVE felt unseen"},
                "plan": "PLAIN-PLAN breathing",
                "risk_details": "PLAIN-RISK safety plan agreed",
            },
        ),
        risk_self_harm="PRESENT",
    )
    note = ProgressNote.objects.select_related("session", "client", "author").get(
        pk=alices_draft.pk
    )
    note = services.note_sign(note=note, by=alice)
    services.note_cosign(note=note, by=bob)
    services.comment_add(note=note, by=bob, text="PLAIN-COMMENT good repair")
    services.addendum_add(note=note, by=alice, text="PLAIN-ADDENDUM call on Friday")
    pnote = services.process_note_open(session=note.session, by=alice)
    PsychotherapyNote.objects.filter(pk=pnote.pk).update(
        text=seal(pnote, "text", "PLAIN-PROCESS my hunch")
    )
    return note


def all_raw_tokens(note):
    tokens = list(raw_row(ProgressNote, note.pk, ["sections", "plan", "risk_details"]))
    tokens += [
        raw_row(Addendum, a.pk, ["text"])[0] for a in Addendum.objects.filter(note=note)
    ]
    tokens += [
        raw_row(SupervisionComment, c.pk, ["text"])[0]
        for c in SupervisionComment.objects.filter(note=note)
    ]
    tokens += [
        raw_row(PsychotherapyNote, p.pk, ["text"])[0]
        for p in PsychotherapyNote.objects.filter(session=note.session)
    ]
    return tokens


def test_a_raw_select_shows_no_plaintext(record):
    tokens = all_raw_tokens(record)
    assert len(tokens) == 6
    for token in tokens:
        assert token.startswith("v2:dev1:")
        assert "PLAIN-" not in token
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(t::text, ' ') FROM therapy_sessions_progressnote t"
        )
        assert "PLAIN-" not in cursor.fetchone()[0]
    # and the application reads them back
    note = ProgressNote.objects.get(pk=record.pk)
    assert note.sections == {"subjective": "PLAIN-SUBJECTIVE felt unseen"}
    assert note.risk_details == "PLAIN-RISK safety plan agreed"


def test_rotate_keys_moves_everything_to_the_new_key(record, settings):
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *old]
    call_command("rotate_keys", "--batch-size", "2", stdout=StringIO())

    tokens = all_raw_tokens(record)
    assert all(t.startswith("v2:k2026:") for t in tokens), tokens
    event = AuditEvent.objects.get(action="keys.rotate")
    assert event.changes["key_id"] == "k2026"
    assert event.changes["by_field"]["therapy_sessions.ProgressNote.sections"] >= 1
    assert event.changes["rotated"] >= 6

    # The old key can now be removed: everything still decrypts.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    note = ProgressNote.objects.get(pk=record.pk)
    assert note.status == ProgressNote.Status.SIGNED
    assert note.sections == {"subjective": "PLAIN-SUBJECTIVE felt unseen"}
    assert note.plan == "PLAIN-PLAN breathing"
    assert Addendum.objects.get(note=note).text == "PLAIN-ADDENDUM call on Friday"
    assert PsychotherapyNote.objects.get(session=note.session).text == (
        "PLAIN-PROCESS my hunch"
    )
    # The signed content is unchanged, so its hash still matches.
    assert services.note_content_hash(note) == note.signatures.first().content_hash

    # The triggers are back in force once the command is done.
    with pytest.raises(DatabaseError), transaction.atomic():
        ProgressNote.objects.filter(pk=note.pk).update(plan=seal(note, "plan", "x"))


def test_rotate_keys_twice_changes_nothing_the_second_time(record, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", stdout=StringIO())
    before = all_raw_tokens(record)
    call_command("rotate_keys", stdout=StringIO())
    assert all_raw_tokens(record) == before
    assert (
        AuditEvent.objects.filter(action="keys.rotate").last().changes["rotated"] == 0
    )


def test_rotate_keys_finds_every_encrypted_field():
    from sessions.management.commands.rotate_keys import encrypted_columns

    found = {
        f"{model._meta.label}.{field.name}"
        for model, fields in encrypted_columns()
        for field in fields
    }
    assert {
        "clients.Client.presenting_concerns",
        "clients.TreatmentGoal.text",
        "therapy_sessions.ProgressNote.sections",
        "therapy_sessions.ProgressNote.plan",
        "therapy_sessions.ProgressNote.risk_details",
        "therapy_sessions.Addendum.text",
        "therapy_sessions.SupervisionComment.text",
        "therapy_sessions.PsychotherapyNote.text",
        "therapy_sessions.RuptureEvent.note",
    } <= found
