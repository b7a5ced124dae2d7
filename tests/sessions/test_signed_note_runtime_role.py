"""REL-05 under the production runtime role (audit/sql/runtime_role.sql): the role writes
drafts, but a signed note stays immutable and the role owns no table, so it cannot switch the
guarding trigger off or bypass it with replication mode."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ipnb_notes.fields import seal
from sessions.models import Addendum, ProgressNote
from tests.audit.test_runtime_role import ROLE, as_runtime_role  # noqa: F401

pytestmark = pytest.mark.django_db


def _refused(sql: str, params=()) -> None:
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_the_runtime_role_cannot_change_a_signed_note_or_its_guard(
    alices_signed_note,
    as_runtime_role,  # noqa: F811
):
    table = ProgressNote._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == ROLE

    _refused(f"UPDATE {table} SET plan = 'x' WHERE id = %s", [alices_signed_note.pk])
    _refused(
        f"UPDATE {table} SET status = 'DRAFT' WHERE id = %s", [alices_signed_note.pk]
    )
    _refused(f"DELETE FROM {table} WHERE id = %s", [alices_signed_note.pk])
    _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    _refused("SET session_replication_role = replica")
    _refused(f"TRUNCATE {table} CASCADE")
    addenda = Addendum._meta.db_table
    _refused(f"ALTER TABLE {addenda} DISABLE TRIGGER ALL")

    alices_signed_note.refresh_from_db()
    assert alices_signed_note.plan == "Continue weekly."
    assert alices_signed_note.status == ProgressNote.Status.SIGNED


def test_the_runtime_role_still_saves_drafts(
    alices_draft,
    as_runtime_role,  # noqa: F811
):
    assert alices_draft.status == ProgressNote.Status.DRAFT

    alices_draft.plan = "Revisit the safety plan next week."
    alices_draft.save(update_fields=["plan"])

    assert ProgressNote.objects.get(pk=alices_draft.pk).plan == (
        "Revisit the safety plan next week."
    )


def test_the_runtime_role_cannot_lift_the_guard_with_pgtrigger_ignore(
    alices_signed_note,
    as_runtime_role,  # noqa: F811
):
    import pgtrigger

    uri = f"{ProgressNote._meta.label}:signed_note_immutable"
    with pgtrigger.ignore(uri), pytest.raises(DatabaseError), transaction.atomic():
        ProgressNote.objects.filter(pk=alices_signed_note.pk).update(
            plan=seal(alices_signed_note, "plan", "x")
        )

    alices_signed_note.refresh_from_db()
    assert alices_signed_note.plan == "Continue weekly."


def test_the_owning_role_may_lift_it_for_key_rotation(alices_signed_note):
    import pgtrigger

    table = ProgressNote._meta.db_table
    uri = f"{ProgressNote._meta.label}:signed_note_immutable"
    with (
        pgtrigger.ignore(uri),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"UPDATE {table} SET plan = plan WHERE id = %s", [alices_signed_note.pk]
        )
        assert cursor.rowcount == 1


def test_the_runtime_role_only_appends_to_the_edit_history(as_runtime_role):  # noqa: F811
    from sessions.models import NoteRevision

    table = NoteRevision._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, %s, 'INSERT'),"
            " has_table_privilege(%s, %s, 'UPDATE'),"
            " has_table_privilege(%s, %s, 'DELETE'),"
            " has_table_privilege(%s, %s, 'TRUNCATE')",
            [ROLE, table] * 4,
        )
        assert cursor.fetchone() == (True, False, False, False)
