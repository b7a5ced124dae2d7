"""A rupture knows it is repaired (docs/DECISIONS.md): `RuptureEvent.repaired` is kept by the
database, in the repair's own transaction, whoever writes the repair (the service, a plain
create, a bulk insert, the demo, the production runtime role); an undone or moved repair is
followed; and the open-rupture reads use the partial index `rupture_open_idx` under a
prepared statement's generic plan, listing the same ruptures as before."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dashboards import reports
from ipnb_notes import access
from sessions.capture import services as capture
from sessions.capture.services import open_ruptures, open_ruptures_among
from sessions.models import RepairEvent, RuptureEvent
from sessions.notes.services import home_context
from tests.audit.test_runtime_role import ROLE, as_runtime_role  # noqa: F401
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db


def _repaired(rupture) -> bool:
    return RuptureEvent.objects.values_list("repaired", flat=True).get(pk=rupture.pk)


def _session(client, therapist, days: int = 2):
    return make_session(
        client, therapist, starts_at=timezone.now() - timedelta(days=days)
    )


def _rupture(session, minute: int = 10) -> RuptureEvent:
    event, _ = capture.event_create(
        session=session, tag="rupture-withdrawal", minute=minute, by=session.therapist
    )
    return event


def _repair(rupture, session=None, minute: int = 20) -> RepairEvent:
    session = session or rupture.session
    return RepairEvent.objects.create(
        session=session, rupture=rupture, minute=minute, created_by=session.therapist
    )


def test_a_repair_made_by_the_service_marks_its_rupture(alices_client, alice):
    rupture = _rupture(_session(alices_client, alice))
    assert not _repaired(rupture)
    with transaction.atomic():
        capture.repair_create(session=rupture.session, rupture=rupture, by=alice)
        assert _repaired(rupture)  # in the repair's own transaction
    assert _repaired(rupture)


def test_repairs_created_plainly_and_in_bulk_mark_their_ruptures(alices_client, alice):
    session = _session(alices_client, alice)
    one, two, three, four = (_rupture(session, m) for m in (5, 10, 15, 20))
    _repair(one, minute=30)
    RepairEvent.objects.bulk_create(
        RepairEvent(session=session, rupture=r, minute=40, created_by=alice)
        for r in (two, three)
    )
    assert [_repaired(r) for r in (one, two, three, four)] == [True, True, True, False]


def test_an_undone_repair_reopens_its_rupture(alices_client, alice):
    session = _session(alices_client, alice)
    rupture = _rupture(session)
    capture.repair_create(session=session, rupture=rupture, minute=20, by=alice)
    assert _repaired(rupture)
    undone = capture.event_undo(session=session, by=alice)
    assert isinstance(undone, RepairEvent)
    assert not _repaired(rupture)
    assert [r.pk for r in open_ruptures(alices_client)] == [rupture.pk]


def test_a_repair_moved_to_another_rupture_and_a_deleted_rupture_follow(
    alices_client, alice
):
    session = _session(alices_client, alice)
    first, second = _rupture(session, 5), _rupture(session, 10)
    repair = _repair(first)
    RepairEvent.objects.filter(pk=repair.pk).update(rupture=second)
    assert (_repaired(first), _repaired(second)) == (False, True)
    second.delete()  # its repair goes with it (CASCADE): nothing is left to mark
    assert not RepairEvent.objects.filter(pk=repair.pk).exists()
    assert not _repaired(first)


def test_a_rupture_saved_whole_from_a_stale_copy_keeps_its_flag(alices_client, alice):
    session = _session(alices_client, alice)
    rupture = _rupture(session)
    stale = RuptureEvent.objects.get(pk=rupture.pk)
    _repair(rupture)
    stale.salience = 3
    stale.save()  # writes repaired = false from before the repair: the database corrects it
    assert _repaired(rupture)
    RuptureEvent.objects.filter(pk=rupture.pk).update(repaired=False)
    assert _repaired(rupture)
    bare = _rupture(session, 30)
    RuptureEvent.objects.filter(pk=bare.pk).update(repaired=True)
    assert not _repaired(bare)


def test_an_inline_edit_of_a_repaired_rupture_keeps_it_repaired(alices_client, alice):
    session = _session(alices_client, alice)
    rupture = _rupture(session)
    capture.repair_create(session=session, rupture=rupture, minute=20, by=alice)
    stale = RuptureEvent.objects.select_related("session").get(pk=rupture.pk)
    stale.repaired = False  # as a copy read before the repair would carry it
    capture.event_update(event=stale, data={"minute": 12}, by=alice)
    assert _repaired(rupture)


def test_the_runtime_role_repairs_a_rupture_and_the_trigger_marks_it(
    alices_client,
    alice,
    as_runtime_role,  # noqa: F811
):
    session = _session(alices_client, alice)
    rupture = _rupture(session)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == ROLE
    capture.repair_create(session=session, rupture=rupture, by=alice)
    assert _repaired(rupture)


def test_the_runtime_role_cannot_lift_the_trigger(
    alices_client,
    alice,
    as_runtime_role,  # noqa: F811
):
    import pgtrigger

    rupture = _rupture(_session(alices_client, alice))
    with pgtrigger.ignore(f"{RepairEvent._meta.label}:repair_marks_rupture"):
        _repair(rupture)
    assert _repaired(rupture)


def _generic_plan(sql: str, params) -> str:
    """The plan PostgreSQL keeps for any values of a prepared statement."""
    with connection.cursor() as cursor:
        # Small tables are read whole by any plan: ask the planner for the index alone.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        numbers = itertools.count(1)
        prepared = re.sub("%s", lambda _: f"${next(numbers)}", sql)
        cursor.execute(f"PREPARE open_ruptures AS {prepared}")
        try:
            cursor.execute(
                "EXPLAIN EXECUTE open_ruptures("
                + ", ".join(["%s"] * len(params))
                + ")",
                params,
            )
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE open_ruptures")


def test_the_partial_index_serves_open_ruptures_under_the_generic_plan(
    alices_client, alice
):
    for days in range(1, 30):
        session = _session(alices_client, alice, days)
        _repair(_rupture(session))
    _rupture(_session(alices_client, alice, 40))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'rupture_open_idx'"
        )
        [(indexdef,)] = cursor.fetchall()
    assert "(client_id, session_id)" in indexdef and "NOT repaired" in indexdef
    for qs in (
        open_ruptures_among(access.own_ruptures(alice)),  # the home
        open_ruptures(alices_client),  # the client page, the capture panel
    ):
        sql, params = qs.query.sql_with_params()
        # The flag is written into the statement, never bound.
        assert 'NOT "therapy_sessions_ruptureevent"."repaired"' in sql
        assert False not in params and True not in params
        assert "rupture_open_idx" in _generic_plan(sql, params)


def test_open_ruptures_are_the_ruptures_without_a_repair(alices_client, alice, charlie):
    other = make_client(alice, legal_name="Other Client")
    old = _rupture(_session(alices_client, alice, 20))
    recent = _rupture(_session(other, alice, 3))
    repaired = _rupture(_session(alices_client, alice, 9))
    capture.repair_create(session=repaired.session, rupture=repaired, by=alice)
    later = _session(alices_client, alice, 5)
    carried = _rupture(_session(alices_client, alice, 12))
    capture.repair_create(session=later, rupture=carried, by=alice)
    undone = _rupture(_session(other, alice, 7))
    capture.repair_create(session=undone.session, rupture=undone, by=alice)
    capture.event_undo(session=undone.session, by=alice)
    _rupture(_session(make_client(charlie), charlie, 2))

    expected = list(
        RuptureEvent.objects.filter(client__in=[alices_client, other])
        .exclude(pk__in=RepairEvent.objects.values("rupture_id"))
        .order_by("-session__starts_at")
        .values_list("pk", flat=True)
    )
    assert expected == [recent.pk, undone.pk, old.pk]
    assert [r.pk for r in home_context(alice)["open_ruptures"]] == expected
    assert [r.pk for r in open_ruptures(alices_client)] == [old.pk]
    assert [r["code"] for r in reports.open_ruptures(alice.id)] == [
        old.code,
        undone.code,
        recent.code,
    ]


def test_the_demo_ruptures_say_whether_they_are_repaired():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE ru.repaired),"
            " count(*) FILTER (WHERE ru.repaired IS DISTINCT FROM EXISTS ("
            "  SELECT 1 FROM therapy_sessions_repairevent rp"
            "  WHERE rp.rupture_id = ru.id))"
            " FROM therapy_sessions_ruptureevent ru"
        )
        repaired, wrong = cursor.fetchone()
    assert repaired == RepairEvent.objects.count() > 0 and wrong == 0
