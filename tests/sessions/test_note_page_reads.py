"""The note pages read a note's revisions list with its other rows (ipnb_notes.batch): the
author's and the supervisor's pages alike, without a round trip of its own."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions.models import NoteRevision, SupervisionComment
from sessions.notes import services as services
from tests.sessions.test_revisions import edited  # noqa: F401 (a fixture)


def _revision_reads(client, url):
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    table = f'"{NoteRevision._meta.db_table}"'
    return page.content.decode(), [
        q["sql"] for q in ctx.captured_queries if table in q["sql"]
    ]


def test_the_supervisor_reads_the_list_with_the_notes_threads(
    client,
    alice,
    bob,
    edited,  # noqa: F811
):
    services.note_sign(note=edited, by=alice)
    client.force_login(bob)
    html, reads = _revision_reads(
        client, reverse("sessions:note_detail", args=[edited.code])
    )
    assert html.count("View version") == 3
    assert len(reads) == 1
    assert SupervisionComment._meta.db_table in reads[0]


def test_the_author_reads_the_list_with_the_notes_threads(
    client,
    alice,
    edited,  # noqa: F811
):
    services.note_sign(note=edited, by=alice)
    client.force_login(alice)
    html, reads = _revision_reads(
        client, reverse("sessions:session_detail", args=[edited.session.code])
    )
    assert html.count("View version") == 3
    assert len(reads) == 1
    assert SupervisionComment._meta.db_table in reads[0]


def test_a_co_therapist_reads_no_revision_and_is_shown_none(
    client,
    alice,
    bob,
    charlie,
    edited,  # noqa: F811
):
    """The rule is in the statement (access.readable_revisions): a clinician who may read
    the note but neither wrote it nor supervises its author gets no revision row at all."""
    from ipnb_notes import access
    from tests.factories import make_assignment

    services.note_sign(note=edited, by=alice)
    make_assignment(edited.client, charlie)
    listed = services.revisions_listed(edited.pk)
    assert len(access.readable_revisions(alice, listed)) == 3
    assert len(access.readable_revisions(bob, listed)) == 3
    assert list(access.readable_revisions(charlie, listed)) == []
    client.force_login(charlie)
    html, reads = _revision_reads(
        client, reverse("sessions:session_detail", args=[edited.session.code])
    )
    assert "View version" not in html
    assert len(reads) == 1  # asked, with the rule, in the page's one round trip
