"""The note record's reads in one statement (sessions.notes.record): the same rows, in the
same order, with the same values and texts as the models' own querysets, and the practice's
late-note threshold, in one round trip;
the access rules still in the statement (the links and revisions of a clinician who
neither wrote the note nor supervises its author are empty)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import TreatmentGoal
from ipnb_notes import practice
from sessions.models import (
    Addendum,
    CommentReply,
    NoteRevision,
    NoteSignature,
    ProgressNote,
    SupervisionComment,
)
from sessions.notes import record
from sessions.notes import services as services
from tests.factories import make_assignment
from tests.sessions.test_revisions import edited  # noqa: F401 (a fixture)


def _same(ours, theirs, fields):
    assert [o.pk for o in ours] == [t.pk for t in theirs]
    for o, t in zip(ours, theirs, strict=True):
        for name in fields:
            assert getattr(o, name) == getattr(t, name), name


def test_the_record_reads_as_the_models_querysets(
    alice,
    bob,
    charlie,
    edited,  # noqa: F811
):
    note = edited
    goal = TreatmentGoal.objects.create(
        client=note.client, created_by=alice, text='Sleep <b>better</b> & "more"'
    )
    note.goals_addressed.set([goal])
    note = services.note_sign(note=note, by=alice)
    note = ProgressNote.objects.select_related("session", "client", "author").get(
        pk=note.pk
    )
    on_plan = services.comment_add(
        note=note, by=bob, text="Plan <i>thin</i>", anchor_section="plan"
    )
    whole = services.comment_add(note=note, by=bob, text="Overall & 'fine'")
    services.thread_reply(thread=on_plan, by=alice, text="Will <add> more")
    services.thread_reply(thread=on_plan, by=bob, text="Thanks")
    services.thread_resolve(thread=whole, by=alice)
    services.addendum_add(note=note, by=alice, text="Later <note>")

    with CaptureQueriesContext(connection) as ctx:
        (
            goals,
            addenda,
            signatures,
            comments,
            replies,
            links,
            revisions,
            late_hours,
        ) = record.read(bob, note.pk, note.author_id, revisions=True)
    assert len(ctx.captured_queries) == 1
    assert late_hours == practice.note_late_hours()
    _same(goals, [goal], ["code", "text", "created_at"])
    _same(
        addenda,
        list(Addendum.objects.filter(note=note)),
        ["code", "text", "signer_name", "attestation", "signed_at"],
    )
    _same(
        signatures,
        list(NoteSignature.objects.filter(note=note)),
        ["kind", "signer_name", "attestation", "content_hash", "at"],
    )
    assert [s.get_kind_display() for s in signatures] == [
        s.get_kind_display() for s in NoteSignature.objects.filter(note=note)
    ]
    theirs = list(SupervisionComment.objects.filter(note=note))
    assert len(theirs) == 2
    _same(
        comments,
        theirs,
        [
            "code",
            "kind",
            "text",
            "anchor_type",
            "anchor_code",
            "anchor_section",
            "created_at",
            "resolved_at",
            "is_resolved",
        ],
    )
    assert [str(c.author) for c in comments] == [str(c.author) for c in theirs]
    assert [str(c.resolved_by) for c in comments] == [
        str(c.resolved_by) for c in theirs
    ]
    _same(
        replies,
        list(CommentReply.objects.filter(thread__note=note)),
        ["code", "thread_id", "text", "created_at"],
    )
    assert [str(r.author) for r in replies] == [str(alice), str(bob)]
    assert links == [True] or links == [False]
    theirs = list(NoteRevision.objects.filter(note=note))
    assert len(theirs) == 3
    _same(revisions, theirs, ["code", "kind", "version", "size", "size_change", "at"])
    assert [r.get_absolute_url() for r in revisions] == [
        r.get_absolute_url() for r in theirs
    ]
    assert [str(r.saved_by) for r in revisions] == [str(r.saved_by) for r in theirs]

    # A clinician of the client who neither wrote the note nor supervises its author.
    make_assignment(note.client, charlie)
    *_, links, revisions, _ = record.read(
        charlie, note.pk, note.author_id, revisions=True
    )
    assert links == []
    assert revisions == []
