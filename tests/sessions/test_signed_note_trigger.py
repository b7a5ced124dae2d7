"""A signed note is immutable in PostgreSQL itself, whatever path the write takes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ipnb_notes.fields import seal
from sessions.models import Addendum, NoteSignature, ProgressNote

pytestmark = pytest.mark.django_db


def refused(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except DatabaseError:
        return True
    return False


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_orm_update_and_delete_of_a_signed_note_are_refused(alices_signed_note):
    note = ProgressNote.objects.get(pk=alices_signed_note.pk)
    assert note.status == ProgressNote.Status.SIGNED
    note.plan = "Rewritten after signing"
    assert refused(note.save)
    assert refused(
        lambda: ProgressNote.objects.filter(pk=note.pk).update(
            plan=seal(note, "plan", "Rewritten")
        )
    )
    assert refused(
        lambda: ProgressNote.objects.filter(pk=note.pk).update(status="DRAFT")
    )
    assert refused(note.delete)
    assert refused(lambda: ProgressNote.objects.filter(pk=note.pk).delete())
    assert ProgressNote.objects.get(pk=note.pk).plan == "Continue weekly."


def test_raw_sql_update_and_delete_of_a_signed_note_raise(alices_signed_note):
    table = ProgressNote._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"UPDATE {table} SET plan = 'x' WHERE id = %s", [alices_signed_note.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(
            f"UPDATE {table} SET status = 'DRAFT' WHERE id = %s",
            [alices_signed_note.pk],
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"DELETE FROM {table} WHERE id = %s", [alices_signed_note.pk])


def test_a_note_awaiting_cosignature_keeps_its_content(alices_awaiting_note):
    table = ProgressNote._meta.db_table
    pk = alices_awaiting_note.pk
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"UPDATE {table} SET plan = 'x' WHERE id = %s", [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"UPDATE {table} SET status = 'DRAFT' WHERE id = %s", [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"DELETE FROM {table} WHERE id = %s", [pk])
    # The review itself (status, co-signer) may change.
    with transaction.atomic():
        ProgressNote.objects.filter(pk=pk).update(status="RETURNED")


def test_signatures_and_addenda_are_append_only(alices_signed_note, alice):
    from sessions.notes import services as services

    addendum = services.addendum_add(note=alices_signed_note, by=alice, text="Added.")
    for model, pk in (
        (NoteSignature, alices_signed_note.signatures.first().pk),
        (Addendum, addendum.pk),
    ):
        assert refused(
            lambda model=model, pk=pk: model.objects.filter(pk=pk).update(
                attestation="changed"
            )
        )
        assert refused(lambda model=model, pk=pk: model.objects.filter(pk=pk).delete())


def test_a_draft_can_still_be_changed_and_deleted(alices_draft):
    ProgressNote.objects.filter(pk=alices_draft.pk).update(
        plan=seal(alices_draft, "plan", "Changed")
    )
    assert ProgressNote.objects.get(pk=alices_draft.pk).plan == "Changed"
    alices_draft.delete()


def test_the_goals_of_a_signed_note_are_locked_too(alice, alices_client, alices_draft):
    from clients.models import TreatmentGoal
    from tests.sessions.conftest import sign

    goal = TreatmentGoal.objects.create(
        client=alices_client, created_by=alice, text="Notice overwhelm early."
    )
    other = TreatmentGoal.objects.create(
        client=alices_client, created_by=alice, text="Speak up at work."
    )
    alices_draft.goals_addressed.add(goal)
    note = sign(alices_draft, alice)
    assert refused(lambda: note.goals_addressed.add(other))
    assert refused(lambda: note.goals_addressed.remove(goal))
    assert refused(lambda: note.goals_addressed.clear())
    assert list(note.goals_addressed.all()) == [goal]
