"""Key rotation covers second factors, and an old key cannot be retired while in use.

After a new key is put first and rotate_keys has run, the old key is removed from
FIELD_ENCRYPTION_KEYS (as docs/OPERATIONS.md says): users still sign in with their TOTP app
and recovery codes, and every note and event still reads. `rotate_keys --check-retire` and
`--report` refuse while any token (second factors included) is still under the old key.
"""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent
from sessions.models import ProgressNote, PsychotherapyNote, RuptureEvent
from sessions.notes import services as services
from tests.factories import (
    TOTP_SECRET,
    make_client,
    make_note,
    make_session,
    steady_totp_code,
)

pytestmark = pytest.mark.django_db

NEW_KEY = "k2027a:" + base64.b64encode(b"r" * 32).decode()


def run(*args) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def mfa_key_ids() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data->>'secret', data->>'seed' FROM mfa_authenticator "
            "WHERE type IN ('totp', 'recovery_codes')"
        )
        return {t.split(":")[1] for row in cursor.fetchall() for t in row if t}


@pytest.fixture
def record(alice):
    """Alice's TOTP and recovery codes, a signed-off note, a process note and an event."""
    codes = RecoveryCodes.activate(alice).generate_codes()
    session = make_session(make_client(alice), alice)
    note = make_note(session, sections={"subjective": "S"}, plan="P")
    pnote = services.process_note_open(session=session, by=alice)
    services.process_note_save(pnote=pnote, by=alice, text="PROCESS", version=1)
    event = RuptureEvent.objects.create(
        session=session,
        client=session.client,
        minute=5,
        rupture_type="WITHDRAWAL",
        created_by=alice,
        note="EVENT",
    )
    return {"codes": codes, "note": note, "pnote": pnote, "event": event}


def test_after_rotation_the_old_key_can_go_and_second_factors_still_verify(
    record, alice, settings
):
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    old_id = old[0].partition(":")[0]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *old]

    run()

    assert mfa_key_ids() == {"k2027a"}
    changes = AuditEvent.objects.get(action="keys.rotate").changes
    assert changes["by_field"]["mfa.Authenticator.data.secret"] == 1
    assert changes["by_field"]["mfa.Authenticator.data.seed"] == 1
    assert "No token uses key" in run("--check-retire", old_id)

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    totp = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    assert TOTP(totp).validate_code(steady_totp_code(TOTP_SECRET))
    recovery = Authenticator.objects.get(
        user=alice, type=Authenticator.Type.RECOVERY_CODES
    )
    assert RecoveryCodes(recovery).validate_code(record["codes"][0])
    note = ProgressNote.objects.get(pk=record["note"].pk)
    assert (note.sections, note.plan) == ({"subjective": "S"}, "P")
    assert PsychotherapyNote.objects.get(pk=record["pnote"].pk).text == "PROCESS"
    assert RuptureEvent.objects.get(pk=record["event"].pk).note == "EVENT"
    assert "Every token is under the current key" in run("--report")


def test_the_old_key_cannot_be_retired_while_a_second_factor_uses_it(
    record, alice, settings
):
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    old_id = old[0].partition(":")[0]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *old]

    with pytest.raises(CommandError, match="still in use") as caught:
        run("--check-retire", old_id)
    assert "mfa.Authenticator.data.secret" in str(caught.value)
    assert "therapy_sessions.ProgressNote.plan" in str(caught.value)
    with pytest.raises(CommandError, match="not under the current key"):
        run("--report")
    with pytest.raises(CommandError, match="is the current key"):
        run("--check-retire", "k2027a")

    run()
    # A token that cannot be rotated (moved here from another row) stays under the old key:
    # the rotation names it and fails, and the old key still cannot be retired.
    settings.FIELD_ENCRYPTION_KEYS = old
    other = make_note(make_session(make_client(alice), alice), plan="OTHER")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE therapy_sessions_progressnote SET plan = "
            "(SELECT plan FROM therapy_sessions_progressnote WHERE id = %s) WHERE id = %s",
            [other.pk, record["note"].pk],
        )
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *old]
    with pytest.raises(CommandError, match="do not decrypt in their place"):
        run()
    with pytest.raises(CommandError, match="still in use") as caught:
        run("--check-retire", old_id)
    assert "therapy_sessions.ProgressNote.plan (1)" in str(caught.value)
    assert "mfa.Authenticator" not in str(caught.value)
