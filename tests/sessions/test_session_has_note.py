"""A session knows it has a note (docs/DECISIONS.md): `TherapySession.has_note` is kept by the
database, in the note's own transaction, whoever writes the note (the service, the test
factory, a bulk insert, the production runtime role), and the home's "notes to write" reads
it through the partial index `session_unwritten_idx` under a prepared statement's generic
plan."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from sessions.models import ProgressNote, TherapySession
from sessions.notes import services
from sessions.notes.services import home_context
from sessions.notes.services.home import _home_lists
from tests.audit.test_runtime_role import ROLE, as_runtime_role  # noqa: F401
from tests.factories import make_client, make_note, make_session

pytestmark = pytest.mark.django_db


def _has_note(session) -> bool:
    return TherapySession.objects.values_list("has_note", flat=True).get(pk=session.pk)


def _past(client, therapist, days: int = 2, **kwargs):
    return make_session(
        client, therapist, starts_at=timezone.now() - timedelta(days=days), **kwargs
    )


def test_a_note_opened_by_the_service_marks_its_session(alices_session, alice):
    assert not _has_note(alices_session)
    with transaction.atomic():
        services.note_open(session=alices_session, by=alice)
        assert _has_note(alices_session)  # in the note's own transaction
    assert _has_note(alices_session)


def test_a_note_made_by_the_factory_marks_its_session(alices_session):
    make_note(alices_session)
    assert _has_note(alices_session)


def test_notes_inserted_in_bulk_mark_their_sessions(alices_client, alice):
    sessions = [_past(alices_client, alice, days=d) for d in (3, 4, 5)]
    ProgressNote.objects.bulk_create(
        ProgressNote(session=s, client=alices_client, author=alice, sections={})
        for s in sessions[:2]
    )
    assert [_has_note(s) for s in sessions] == [True, True, False]


def test_a_deleted_draft_and_a_draft_moved_to_another_session_follow(
    alices_client, alice
):
    first, second = _past(alices_client, alice, 3), _past(alices_client, alice, 4)
    note = make_note(first)
    # Drafts only: the trigger that locks signed notes refuses the same for them.
    ProgressNote.objects.filter(pk=note.pk).update(session=second)
    assert (_has_note(first), _has_note(second)) == (False, True)
    ProgressNote.objects.filter(pk=note.pk).delete()
    assert not _has_note(second)


def test_a_session_saved_whole_from_a_stale_copy_keeps_its_flag(alices_session):
    stale = TherapySession.objects.get(pk=alices_session.pk)
    make_note(alices_session)
    stale.service_code = "90834"
    stale.save()  # writes has_note = false from before the note: the database corrects it
    assert _has_note(alices_session)
    TherapySession.objects.filter(pk=alices_session.pk).update(has_note=False)
    assert _has_note(alices_session)
    bare = _past(alices_session.client, alices_session.therapist)
    TherapySession.objects.filter(pk=bare.pk).update(has_note=True)
    assert not _has_note(bare)


def test_notes_to_write_are_the_attended_past_sessions_without_a_note(
    alices_client, alice, charlie
):
    unwritten = _past(alices_client, alice, 6)
    written = _past(alices_client, alice, 5)
    make_note(written)
    draft_only = _past(alices_client, alice, 4)
    services.note_open(session=draft_only, by=alice)
    _past(alices_client, alice, 3, status=TherapySession.Status.NO_SHOW)
    later = make_session(
        alices_client, alice, starts_at=timezone.now() + timedelta(hours=2)
    )
    others = _past(make_client(charlie), charlie)
    older = _past(alices_client, alice, 9)

    assert [s.pk for s in home_context(alice)["to_write"]] == [older.pk, unwritten.pk]
    assert later.status == TherapySession.Status.ATTENDED and not _has_note(later)
    assert [s.pk for s in home_context(charlie)["to_write"]] == [others.pk]


def test_the_home_page_lists_a_session_without_a_note(client, alices_client, alice):
    session = _past(alices_client, alice, 2)
    edit = reverse("sessions:note_edit", args=[session.code])
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert f'<a href="{edit}">Write note</a>' in html
    make_note(session)
    html = client.get(reverse("home")).content.decode()
    assert f'<a href="{edit}">Write note</a>' not in html
    assert f'<a href="{edit}">Continue draft</a>' in html


def test_the_runtime_role_creates_a_note_and_the_trigger_marks_the_session(
    alices_session,
    alice,
    as_runtime_role,  # noqa: F811
):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == ROLE
    services.note_open(session=alices_session, by=alice)
    assert _has_note(alices_session)


def test_the_runtime_role_cannot_lift_the_trigger(alices_session, as_runtime_role):  # noqa: F811
    import pgtrigger

    with pgtrigger.ignore(f"{ProgressNote._meta.label}:note_marks_session"):
        make_note(alices_session)
    assert _has_note(alices_session)


def test_the_partial_index_serves_the_statement_under_the_generic_plan(
    alices_client, alice
):
    """The home's statements are prepared and, after a few requests, planned once for any
    values: the partial index serves "notes to write" only if the statement's SQL names
    the status and the flag themselves."""
    for days in range(1, 40):
        make_note(_past(alices_client, alice, days))
    _past(alices_client, alice, 50)
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    lists = _home_lists(
        alice, now, start, start + timedelta(days=1), limit=50, supervisor=False
    )
    sql, params = lists[1].query.sql_with_params()
    assert "= 'ATTENDED'" in sql and '"has_note" = false' in sql
    assert "ATTENDED" not in params and False not in params
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'session_unwritten_idx'"
        )
        [(indexdef,)] = cursor.fetchall()
        assert "(therapist_id, starts_at)" in indexdef
        assert "NOT has_note" in indexdef and "'ATTENDED'::text" in indexdef
        # Small tables are read whole by any plan: ask the planner for the index alone.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        numbers = itertools.count(1)
        prepared = re.sub("%s", lambda _: f"${next(numbers)}", sql)
        cursor.execute(f"PREPARE unwritten AS {prepared}")
        try:
            cursor.execute(
                "EXPLAIN EXECUTE unwritten(" + ", ".join(["%s"] * len(params)) + ")",
                params,
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE unwritten")
    assert "session_unwritten_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_two_opens_of_the_same_note_at_once_make_one_note(alice, settings):
    settings.AUDIT_SEAL_AFTER_COMMIT = False
    session = _past(make_client(alice), alice)
    opened, release = threading.Event(), threading.Event()
    notes, failures = {}, []

    def first():
        try:
            with transaction.atomic():
                notes["first"] = services.note_open(session=session, by=alice)
                opened.set()
                release.wait(30)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
            opened.set()
        finally:
            connection.close()

    def second():
        try:
            notes["second"] = services.note_open(session=session, by=alice)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert opened.wait(30)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)  # the second waits on the first's note (the session's unique note)
    release.set()
    one.join(30)
    two.join(30)
    assert failures == []
    assert notes["first"].pk == notes["second"].pk
    assert ProgressNote.objects.filter(session=session).count() == 1
    assert _has_note(session)


def test_the_demo_practice_sessions_say_whether_they_have_a_note():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE s.has_note),"
            " count(*) FILTER (WHERE s.has_note IS DISTINCT FROM EXISTS ("
            "  SELECT 1 FROM therapy_sessions_progressnote n WHERE n.session_id = s.id))"
            " FROM therapy_sessions_therapysession s"
        )
        with_note, wrong = cursor.fetchone()
    assert with_note == ProgressNote.objects.count() and wrong == 0
