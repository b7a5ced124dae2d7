"""The pre-sign edit history of progress notes (REL-06): every save that changes a draft
appends an encrypted, append-only revision; its author and her supervisor read it.

Alice writes; Bob supervises her (he reads her signed notes and their history, never her
drafts); Charlie has no link to her (404); Ada the admin reads no clinical text (404).
"""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from sessions.models import NoteRevision, ProgressNote
from sessions.notes import services as services
from tests.factories import make_assignment
from tests.sessions.test_note_flow import editor_post

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-7f3a"
NEW_KEY = "k2027:" + base64.b64encode(b"r" * 32).decode()


def autosave(client, note, version, **fields):
    url = reverse("sessions:note_autosave", args=[note.session.code])
    response = client.post(
        url,
        editor_post(note, version=version, **fields),
        headers={"X-IPNB-Background": "autosave"},
    )
    assert response.status_code == 200, response.content
    return response.json()["version"]


def save(client, note, version, **fields):
    url = reverse("sessions:note_edit", args=[note.session.code])
    response = client.post(url, editor_post(note, version=version, **fields))
    assert response.status_code == 302, response.content
    return ProgressNote.objects.get(pk=note.pk).version


def raw_revision_table() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(r::text, ' ') FROM therapy_sessions_noterevision r"
        )
        return cursor.fetchone()[0] or ""


@pytest.fixture
def edited(client, alice, alices_draft):
    """Three edits of Alice's draft: two autosaves and an explicit save, each with the
    sentinel in a different place."""
    client.force_login(alice)
    v = autosave(client, alices_draft, 1, section_subjective=f"{SENTINEL} one")
    v = autosave(client, alices_draft, v, plan=f"{SENTINEL} two")
    save(client, alices_draft, v, risk_details=f"{SENTINEL} three")
    return ProgressNote.objects.select_related("session", "client", "author").get(
        pk=alices_draft.pk
    )


def test_three_edits_create_three_revisions_holding_ciphertext(edited, alice):
    revisions = list(edited.revisions.all())
    assert [r.kind for r in revisions] == ["AUTOSAVE", "AUTOSAVE", "SAVE"]
    assert [r.version for r in revisions] == [2, 3, 4]
    assert all(r.saved_by == alice for r in revisions)
    # A raw SELECT of the whole table shows no clinical text ...
    raw = raw_revision_table()
    assert raw
    assert SENTINEL not in raw
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT previous_content, new_content FROM therapy_sessions_noterevision"
        )
        for row in cursor.fetchall():
            assert all(token.startswith("v2:") for token in row), row
    # ... and the application reads it back.
    assert revisions[0].new_content["sections"]["subjective"] == f"{SENTINEL} one"
    assert revisions[1].new_content["plan"] == f"{SENTINEL} two"
    assert revisions[2].new_content["risk_details"] == f"{SENTINEL} three"


def test_a_revision_holds_the_content_before_and_after(edited):
    first, second, _ = edited.revisions.all()
    assert first.previous_content["sections"] == {
        "subjective": "Client reports a calmer week.",
        "objective": "",
        "assessment": "",
    }
    assert first.previous_content["plan"] == "Continue weekly."
    assert first.new_content["plan"] == "Practise the breathing exercise daily."
    # Each save starts from what the one before it stored.
    assert second.previous_content == first.new_content
    assert second.new_content["plan"] == f"{SENTINEL} two"
    assert second.size == services.snapshot_size(second.new_content)
    assert second.size_change == second.size - first.size


def test_a_save_that_changes_nothing_appends_nothing(client, alice, alices_draft):
    client.force_login(alice)
    v = autosave(client, alices_draft, 1)
    v = autosave(client, alices_draft, v)
    save(client, alices_draft, v)
    assert NoteRevision.objects.filter(note=alices_draft).count() == 1
    # Every save is still in the audit trail, naming the revision it made (or none).
    saves = AuditEvent.objects.filter(
        action__in=["note.autosave", "note.save"], target_code=str(alices_draft.code)
    ).order_by("seq")
    assert [e.changes["revision"] is None for e in saves] == [False, True, True]


def test_goals_are_part_of_the_content(alice, alices_draft):
    from tests.factories import make_goal

    goal = make_goal(alices_draft.client, alice)
    note = ProgressNote.objects.select_related("session", "client", "author").get(
        pk=alices_draft.pk
    )
    services.note_save(note=note, by=alice, data={"goals_addressed": [goal]}, version=1)
    revision = NoteRevision.objects.get(note=note)
    assert revision.previous_content["goals"] == []
    assert revision.new_content["goals"] == [str(goal.code)]


def test_a_refused_save_appends_nothing(client, alice, alices_draft):
    client.force_login(alice)
    autosave(client, alices_draft, 1, plan="First tab")
    url = reverse("sessions:note_autosave", args=[alices_draft.session.code])
    response = client.post(url, editor_post(alices_draft, version=1, plan="Old tab"))
    assert response.status_code == 409
    assert NoteRevision.objects.filter(note=alices_draft).count() == 1


def test_the_save_made_when_signing_is_a_sign_revision_and_history_survives_signing(
    client, alice, bob, edited
):
    url = reverse("sessions:note_sign", args=[edited.session.code])
    response = client.post(
        url,
        editor_post(edited, version=edited.version, plan="Final plan", attest="on"),
    )
    assert response.status_code == 302, response.content
    note = ProgressNote.objects.select_related("session", "client", "author").get(
        pk=edited.pk
    )
    assert note.status == ProgressNote.Status.AWAITING_COSIGNATURE
    services.note_cosign(note=note, by=bob)
    kinds = list(note.revisions.values_list("kind", flat=True))
    assert kinds == ["AUTOSAVE", "AUTOSAVE", "SAVE", "SIGN"]
    assert note.revisions.last().new_content["plan"] == "Final plan"


def test_revisions_are_append_only_in_the_database(edited):
    revision = edited.revisions.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        NoteRevision.objects.filter(pk=revision.pk).update(kind="SAVE")
    with pytest.raises(DatabaseError), transaction.atomic():
        NoteRevision.objects.filter(pk=revision.pk).delete()
    assert NoteRevision.objects.filter(note=edited).count() == 3


# --- Who sees the history ----------------------------------------------------------------------


def test_the_author_sees_the_list_in_the_editor(client, edited):
    response = client.get(reverse("sessions:note_edit", args=[edited.session.code]))
    body = response.content.decode()
    assert "Revisions" in body
    assert body.count("View version") == 3
    for revision in edited.revisions.all():
        assert revision.get_absolute_url() in body


def test_viewing_a_revision_is_audited_and_read_only(client, alice, edited):
    revision = edited.revisions.get(version=3)
    url = revision.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{SENTINEL} two" in body
    assert "Changed" in body
    event = AuditEvent.objects.get(action="note.revision_view")
    assert event.actor == alice
    assert event.target_code == str(edited.code)
    assert event.changes == {"revision": str(revision.code), "version": 3}
    # The audit trail names the revision, never its text.
    assert SENTINEL not in str(event.changes)
    assert client.post(url).status_code == 405


def test_listing_the_revisions_reads_no_text(client, edited):
    client.get(reverse("sessions:note_edit", args=[edited.session.code]))
    assert not AuditEvent.objects.filter(action="note.revision_view").exists()


def test_bob_reads_the_history_of_his_supervisees_signed_note(
    client, alice, bob, edited
):
    services.note_sign(note=edited, by=alice)
    client.force_login(bob)
    page = client.get(reverse("sessions:note_detail", args=[edited.code]))
    assert page.status_code == 200
    assert page.content.decode().count("View version") == 3
    revision = edited.revisions.first()
    assert client.get(revision.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.filter(action="note.revision_view", actor=bob).exists()


def test_bob_cannot_reach_the_history_of_a_draft(client, bob, edited):
    # A draft is its author's alone until it is signed.
    client.force_login(bob)
    revision = edited.revisions.first()
    assert client.get(revision.get_absolute_url()).status_code == 404


def test_a_cotherapist_reads_the_note_but_not_its_history(
    client, alice, charlie, edited
):
    services.note_sign(note=edited, by=alice)
    make_assignment(edited.client, charlie)
    client.force_login(charlie)
    page = client.get(reverse("sessions:note_detail", args=[edited.code]))
    assert page.status_code == 200
    assert "View version" not in page.content.decode()
    revision = edited.revisions.first()
    assert client.get(revision.get_absolute_url()).status_code == 403


@pytest.mark.parametrize("persona", ["charlie", "ada"])
def test_unrelated_readers_and_the_admin_get_404(
    client, alice, persona, personas, edited
):
    services.note_sign(note=edited, by=alice)
    client.force_login(personas[persona])
    revision = edited.revisions.first()
    assert client.get(revision.get_absolute_url()).status_code == 404
    assert not AuditEvent.objects.filter(action="note.revision_view").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, edited):
    client.logout()
    response = client.get(edited.revisions.first().get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Key rotation ------------------------------------------------------------------------------


def test_rotate_keys_re_encrypts_the_revisions(edited, alice, bob, settings):
    services.note_sign(note=edited, by=alice)
    services.note_cosign(
        note=ProgressNote.objects.select_related("session", "client", "author").get(
            pk=edited.pk
        ),
        by=bob,
    )
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", "--batch-size", "2", stdout=StringIO())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT previous_content, new_content FROM therapy_sessions_noterevision"
        )
        rows = cursor.fetchall()
    assert len(rows) == 3
    assert all(token.startswith("v2:k2027:") for row in rows for token in row), rows
    event = AuditEvent.objects.filter(action="keys.rotate").last()
    assert event.changes["by_field"]["therapy_sessions.NoteRevision.new_content"] == 3
    assert (
        event.changes["by_field"]["therapy_sessions.NoteRevision.previous_content"] == 3
    )

    # The old key can go: the history still reads, and is append-only again.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    revision = NoteRevision.objects.get(note=edited, version=3)
    assert revision.new_content["plan"] == f"{SENTINEL} two"
    with pytest.raises(DatabaseError), transaction.atomic():
        NoteRevision.objects.filter(pk=revision.pk).update(kind="SAVE")


def test_the_list_costs_the_same_whatever_the_number_of_revisions(client, alices_draft):
    url = reverse("sessions:note_edit", args=[alices_draft.session.code])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(alices_draft.author)
    v = autosave(client, alices_draft, 1, plan="One")
    small = queries()
    for i in range(4):
        v = autosave(client, alices_draft, v, plan=f"Plan {i}")
    assert queries() == small
