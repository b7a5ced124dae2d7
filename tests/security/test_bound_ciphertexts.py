"""Ciphertexts are bound to their place: whoever can write SQL cannot move a token.

Each attack copies a real token with SQL into another row or column (as someone with
database access, or a doctored restore, could) and shows that reading it there fails with an
error naming the table, column and row, never garbage and never an empty value. The last
tests show that no code path writes or returns those columns unencrypted and that legacy
(unbound) tokens are refused once the migration re-encrypted them.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection, transaction

from accounts.mfa import MFASecretError, enrol_totp
from ipnb_notes.fields import (
    EncryptedValueError,
    MisplacedCiphertext,
    Sealed,
    seal,
    seal_fields,
)
from sessions.models import (
    ProgressNote,
    PsychotherapyNote,
    RepairEvent,
    RuptureEvent,
)
from sessions.notes import services as services
from tests.factories import (
    make_client,
    make_note,
    make_session,
    make_user,
    steady_totp_code,
)

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
CHARLIES_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"


def sql(query: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def raw(model, pk, column: str) -> str:
    return sql(
        f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
        [pk],
    )[0][0]


def put(model, pk, column: str, token: str) -> None:
    sql(
        f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s",  # noqa: S608
        [token, pk],
    )


@pytest.fixture
def alices_client(alice):
    return make_client(alice, legal_name="Jamie Rivers")


@pytest.fixture
def draft(alices_client, alice):
    return make_note(
        make_session(alices_client, alice),
        sections={"subjective": "Calmer week."},
        plan="Continue weekly.",
    )


def test_a_psychotherapy_note_token_moved_into_a_progress_note_does_not_decrypt(
    draft, alice
):
    """The process note is its author's alone; its token copied into the plan (or the
    sections) of the progress note, which a supervisor reads, must not reveal it."""
    pnote = services.process_note_open(session=draft.session, by=alice)
    services.process_note_save(
        pnote=pnote, by=alice, text="PRIVATE: my countertransference", version=1
    )
    stolen = raw(PsychotherapyNote, pnote.pk, "text")
    assert stolen.startswith("v2:")

    put(ProgressNote, draft.pk, "plan", stolen)
    note = ProgressNote.objects.get(pk=draft.pk)
    with pytest.raises(MisplacedCiphertext) as caught:
        note.plan  # noqa: B018
    message = str(caught.value)
    assert f"therapy_sessions_progressnote.plan of row {draft.code}" in message
    assert "PRIVATE" not in message

    put(ProgressNote, draft.pk, "sections", stolen)
    with pytest.raises(MisplacedCiphertext, match="progressnote.sections"):
        ProgressNote.objects.get(pk=draft.pk).sections  # noqa: B018

    # The process note itself still reads in its own place.
    assert PsychotherapyNote.objects.get(pk=pnote.pk).text.startswith("PRIVATE")


def test_notes_swapped_between_two_clients_do_not_decrypt(alice):
    first = make_note(
        make_session(make_client(alice), alice), sections={"subjective": "FIRST"}
    )
    second = make_note(
        make_session(make_client(alice), alice), sections={"subjective": "SECOND"}
    )
    a, b = (
        raw(ProgressNote, first.pk, "sections"),
        raw(ProgressNote, second.pk, "sections"),
    )

    put(ProgressNote, first.pk, "sections", b)
    put(ProgressNote, second.pk, "sections", a)

    for note in (first, second):
        with pytest.raises(MisplacedCiphertext, match=str(note.code)):
            ProgressNote.objects.get(pk=note.pk).sections  # noqa: B018


def test_a_totp_seed_copied_into_another_users_authenticator_fails_clearly(alice):
    """Charlie copies his own authenticator's data into Alice's row, hoping his app's codes
    then sign him in as Alice."""
    charlie = make_user(mfa=False, email="charlie.attacker@example.org")
    enrol_totp(charlie, CHARLIES_SECRET)
    charlies = Authenticator.objects.get(user=charlie, type=Authenticator.Type.TOTP)
    sql(
        "UPDATE mfa_authenticator SET data = "
        "(SELECT data FROM mfa_authenticator WHERE id = %s) "
        "WHERE user_id = %s AND type = 'totp'",
        [charlies.pk, alice.pk],
    )

    alices = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    with pytest.raises(MFASecretError) as caught:
        TOTP(alices).validate_code(steady_totp_code(CHARLIES_SECRET))
    assert f"mfa_authenticator.data.secret of user {alice.pk} (totp)" in str(
        caught.value
    )
    assert "does not decrypt in its place" in str(caught.value)

    # Charlie's own authenticator still works with his codes.
    assert TOTP(charlies).validate_code(steady_totp_code(CHARLIES_SECRET))


def test_an_event_description_moved_between_rows_or_tables_does_not_decrypt(
    draft, alice
):
    session = draft.session
    one = RuptureEvent.objects.create(
        session=session,
        client=session.client,
        minute=5,
        rupture_type="WITHDRAWAL",
        created_by=alice,
        note="Went quiet after the question about her father.",
    )
    two = RuptureEvent.objects.create(
        session=session,
        client=session.client,
        minute=20,
        rupture_type="WITHDRAWAL",
        created_by=alice,
        note="Short answers.",
    )
    repair = RepairEvent.objects.create(
        session=session, rupture=two, minute=25, created_by=alice, note="Named it."
    )
    token = raw(RuptureEvent, one.pk, "note")

    put(RuptureEvent, two.pk, "note", token)
    put(RepairEvent, repair.pk, "note", token)

    with pytest.raises(
        MisplacedCiphertext, match=f"ruptureevent.note of row {two.code}"
    ):
        RuptureEvent.objects.get(pk=two.pk).note  # noqa: B018
    with pytest.raises(
        MisplacedCiphertext, match=f"repairevent.note of row {repair.code}"
    ):
        RepairEvent.objects.get(pk=repair.pk).note  # noqa: B018
    assert RuptureEvent.objects.get(pk=one.pk).note.startswith("Went quiet")


def test_decryption_is_lazy_so_a_list_loads_and_only_the_bad_field_fails(draft, alice):
    other = make_note(make_session(make_client(alice), alice), plan="Fine.")
    put(ProgressNote, draft.pk, "plan", raw(ProgressNote, other.pk, "plan"))

    notes = {n.pk: n for n in ProgressNote.objects.filter(pk__in=[draft.pk, other.pk])}
    assert notes[other.pk].plan == "Fine."
    assert notes[draft.pk].sections == {"subjective": "Calmer week."}
    with pytest.raises(MisplacedCiphertext):
        notes[draft.pk].plan  # noqa: B018


def test_no_code_path_writes_or_returns_the_columns_unencrypted(draft):
    # QuerySet.update() with clear text is refused, and so is a token copied by the ORM.
    with pytest.raises(EncryptedValueError, match="seal"), transaction.atomic():
        ProgressNote.objects.filter(pk=draft.pk).update(plan="in clear")
    copied = ProgressNote.objects.filter(pk=draft.pk).values_list("plan", flat=True)[0]
    with pytest.raises(EncryptedValueError), transaction.atomic():
        ProgressNote.objects.filter(pk=draft.pk).update(plan=copied)
    draft.plan = "bulk"
    with pytest.raises(EncryptedValueError), transaction.atomic():
        ProgressNote.objects.bulk_update([draft], ["plan"])

    # .values() yields an opaque value, never the token as if it were text.
    assert isinstance(copied, Sealed)
    with pytest.raises(EncryptedValueError, match="read it through its model instance"):
        str(copied)
    assert "v2:" not in repr(copied)

    # The supported writes all store bound ciphertext.
    ProgressNote.objects.filter(pk=draft.pk).update(
        **seal_fields(draft, {"plan": "sealed update", "sections": {"data": "x"}})
    )
    note = ProgressNote.objects.get(pk=draft.pk)
    assert (note.plan, note.sections) == ("sealed update", {"data": "x"})
    note.risk_details = "saved with update_fields"
    note.save(update_fields=["risk_details"])
    for column in ("plan", "sections", "risk_details"):
        token = raw(ProgressNote, draft.pk, column)
        assert (
            token.startswith("v2:") and "sealed" not in token and "saved" not in token
        )
    assert (
        ProgressNote.objects.get(pk=draft.pk).risk_details == "saved with update_fields"
    )

    # A value sealed for one row does not read in another.
    other = make_note(
        draft.session.__class__.objects.create(
            client=draft.client,
            therapist=draft.author,
            starts_at=datetime(2026, 4, 1, 10, 0, tzinfo=NY),
            status="ATTENDED",
        )
    )
    ProgressNote.objects.filter(pk=other.pk).update(
        plan=seal(draft, "plan", "for draft")
    )
    with pytest.raises(MisplacedCiphertext):
        ProgressNote.objects.get(pk=other.pk).plan  # noqa: B018


def _legacy(plaintext: str, aad: bytes = b"") -> str:
    key_id, _, b64 = settings.FIELD_ENCRYPTION_KEYS[0].partition(":")
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(b64)).encrypt(nonce, plaintext.encode(), aad)
    return f"v1:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def test_a_legacy_unbound_token_is_refused(draft):
    put(ProgressNote, draft.pk, "plan", _legacy("written before binding"))

    with pytest.raises(MisplacedCiphertext, match="legacy v1 token"):
        ProgressNote.objects.get(pk=draft.pk).plan  # noqa: B018


def test_the_migration_binds_every_legacy_token_to_its_place(draft, alice):
    """Rows as the previous release wrote them (v1, no place; second factors under one
    constant) read again after the migration, as v2 tokens bound to their place."""
    put(ProgressNote, draft.pk, "plan", _legacy("LEGACY-PLAN"))
    put(
        ProgressNote,
        draft.pk,
        "sections",
        _legacy(json.dumps({"subjective": "LEGACY"})),
    )
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    sql(
        "UPDATE mfa_authenticator SET data = %s::jsonb WHERE user_id = %s AND type = 'totp'",
        [
            json.dumps({"secret": _legacy(secret, b"mfa.authenticator.secret")}),
            alice.pk,
        ],
    )
    migration = importlib.import_module(
        "ipnb_notes.migrations.0004_bind_ciphertexts_to_their_place"
    )

    migration.bind_to_their_place(None, None)

    assert raw(ProgressNote, draft.pk, "plan").startswith("v2:")
    note = ProgressNote.objects.get(pk=draft.pk)
    assert note.plan == "LEGACY-PLAN"
    assert note.sections == {"subjective": "LEGACY"}
    totp = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    assert totp.data["secret"].startswith("v2:")
    assert TOTP(totp).validate_code(steady_totp_code(secret))
    # Running it again finds nothing left to do.
    before = raw(ProgressNote, draft.pk, "plan")
    migration.bind_to_their_place(None, None)
    assert raw(ProgressNote, draft.pk, "plan") == before


def test_a_page_with_a_moved_token_says_so_and_shows_nothing(client, draft, alice):
    """The reader of a record with a moved token gets a plain page saying the record cannot
    be read (not a crash page, not the moved text), and the place is in the audit trail."""
    from audit.models import AuditEvent
    from tests.factories import sign_in

    pnote = services.process_note_open(session=draft.session, by=alice)
    services.process_note_save(
        pnote=pnote, by=alice, text="PRIVATE: my countertransference", version=1
    )
    put(ProgressNote, draft.pk, "plan", raw(PsychotherapyNote, pnote.pk, "text"))
    sign_in(client, alice)

    response = client.get(draft.get_absolute_url(), follow=True)

    assert response.status_code == 500
    page = response.content.decode()
    assert "This record cannot be read" in page
    assert "PRIVATE" not in page
    event = AuditEvent.objects.get(action="integrity.unreadable_ciphertext")
    assert event.actor == alice
    assert f"therapy_sessions_progressnote.plan of row {draft.code}" in str(
        event.changes
    )


def test_a_copied_second_factor_refuses_the_sign_in_with_a_clear_page(client, alice):
    """Charlie's authenticator data copied into Alice's row: signing in as Alice with
    Charlie's codes is refused with a page that says why, and nobody is signed in."""
    from audit.models import AuditEvent
    from tests.factories import sign_in

    charlie = make_user(mfa=False, email="charlie.attacker@example.org")
    enrol_totp(charlie, CHARLIES_SECRET)
    sql(
        "UPDATE mfa_authenticator SET data = "
        "(SELECT data FROM mfa_authenticator WHERE user_id = %s AND type = 'totp') "
        "WHERE user_id = %s AND type = 'totp'",
        [charlie.pk, alice.pk],
    )

    response = sign_in(client, alice, secret=CHARLIES_SECRET)

    assert response.status_code == 403
    assert "Your second factor cannot be read" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        action="integrity.unreadable_ciphertext", target_type="second_factor"
    ).exists()
