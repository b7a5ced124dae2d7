"""Recurring appointments through the pages and services: a series is generated in one
statement and audited once; moving or cancelling this and the following sessions leaves
attended sessions and sessions with a note alone; a cancellation's reason sets the status."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from sessions.models import SessionSeries, TherapySession
from sessions.scheduling import services
from sessions.scheduling.vocabulary import STATUS_FOR, CancelReason
from tests.factories import make_note, make_session

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def series_form(**extra):
    return {
        "date": "2026-03-03",
        "start_time": "10:00",
        "duration_minutes": "50",
        "modality": "INDIVIDUAL",
        "setting": "IN_PERSON",
        "frequency": "WEEKLY",
        "count": "6",
        "until": "",
        "service_code": "",
        **extra,
    }


def make_series(client, by, **kwargs):
    kwargs.setdefault("starts_at", datetime(2026, 3, 3, 10, 0, tzinfo=NY))
    kwargs.setdefault("frequency", "WEEKLY")
    kwargs.setdefault("count", 6)
    return services.series_create(client=client, by=by, **kwargs)


def local_times(series):
    return [
        timezone.localtime(s).strftime("%Y-%m-%d %H:%M")
        for s in series.sessions.order_by("starts_at").values_list(
            "starts_at", flat=True
        )
    ]


def test_the_page_schedules_a_weekly_series_in_one_statement_audited_once(
    client, alice, alices_client, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("sessions:series_create", args=[alices_client.code])
    assert client.get(url).status_code == 200
    before = AuditEvent.objects.count()
    response = client.post(url, series_form())
    assert response.status_code == 302
    series = SessionSeries.objects.get(client=alices_client)
    assert local_times(series)[:2] == ["2026-03-03 10:00", "2026-03-10 10:00"]
    assert series.sessions.count() == 6
    assert set(series.sessions.values_list("status", flat=True)) == {"SCHEDULED"}
    events = AuditEvent.objects.order_by("seq")[before:]
    assert [e.action for e in events] == ["series.create"]
    assert events[0].changes["sessions"] == [None, 6]
    # A longer series costs the same statements: generation is set-based.
    with django_assert_max_num_queries(12):
        client.post(url, series_form(date="2026-06-01", count="40", save_anyway="on"))
    assert (
        SessionSeries.objects.get(
            first_starts_at__date=date(2026, 6, 1)
        ).sessions.count()
        == 40
    )


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"count": ""}, "count", "end date or a number"),
        ({"until": "2026-05-01"}, "count", "not both"),
        ({"count": "", "until": "2026-03-01"}, "until", "ends before"),
        ({"count": "53"}, "count", "less than or equal to 52"),
        ({"frequency": "DAILY"}, "frequency", "Select a valid choice"),
        ({"date": "2026-02-30"}, "date", "Enter a valid date"),
    ],
)
def test_bad_series_input_is_named_beside_its_field_and_kept(
    client, alice, alices_client, extra, field, message
):
    client.force_login(alice)
    url = reverse("sessions:series_create", args=[alices_client.code])
    response = client.post(url, series_form(**extra))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not SessionSeries.objects.exists()
    for value in extra.values():
        if value:
            assert value in response.content.decode()


def test_a_series_that_overlaps_warns_with_the_times_and_saves_when_confirmed(
    client, alice, alices_client, charlie
):
    from tests.factories import make_client

    # Alice's other session at 10:30 on March 10 (another client: never named).
    other = make_client(alice, legal_name="Quinn Other-Client")
    make_session(
        other,
        alice,
        starts_at=datetime(2026, 3, 10, 10, 30, tzinfo=NY),
        status="SCHEDULED",
    )
    # Charlie's session at the same time is not Alice's conflict.
    make_session(
        make_client(charlie, legal_name="Charlie's Client"),
        charlie,
        starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=NY),
        status="SCHEDULED",
    )
    client.force_login(alice)
    url = reverse("sessions:series_create", args=[alices_client.code])
    response = client.post(url, series_form())
    assert response.status_code == 400
    [warning] = response.context["form"].errors["start_time"]
    assert "Tue Mar 10, 10:30–11:20" in warning
    page = response.content.decode()
    assert "Quinn" not in page and "Charlie" not in page.split("<main")[-1]
    assert 'name="save_anyway"' in page
    assert not SessionSeries.objects.exists()
    assert client.post(url, series_form(save_anyway="on")).status_code == 302
    assert SessionSeries.objects.get().sessions.count() == 6


def test_a_cancelled_session_is_no_conflict(client, alice, alices_client):
    make_session(
        alices_client,
        alice,
        starts_at=datetime(2026, 3, 10, 10, 0, tzinfo=NY),
        status="CANCELLED",
    )
    client.force_login(alice)
    url = reverse("sessions:series_create", args=[alices_client.code])
    assert client.post(url, series_form()).status_code == 302


def test_moving_this_and_following_keeps_attended_and_noted_sessions(
    alice, alices_client
):
    series = make_series(alices_client, alice, count=6)
    sessions = list(series.sessions.order_by("starts_at"))
    # The first was attended; the fourth has a (draft) note though still scheduled.
    TherapySession.objects.filter(pk=sessions[0].pk).update(status="ATTENDED")
    make_note(sessions[3])
    before = AuditEvent.objects.count()
    moved = services.sessions_move(
        session=sessions[2],
        by=alice,
        day=date(2026, 3, 18),  # Tuesday 17 -> Wednesday 18
        at=time(15, 0),
        duration_minutes=45,
        scope=services.FOLLOWING,
    )
    assert moved == 3  # the 3rd, 5th and 6th
    assert local_times(series) == [
        "2026-03-03 10:00",
        "2026-03-10 10:00",
        "2026-03-18 15:00",
        "2026-03-24 10:00",
        "2026-04-01 15:00",
        "2026-04-08 15:00",
    ]
    assert series.sessions.filter(duration_minutes=45).count() == 3
    assert [e.action for e in AuditEvent.objects.order_by("seq")[before:]] == [
        "series.move"
    ]


def test_moving_across_the_autumn_change_keeps_the_local_time(alice, alices_client):
    series = make_series(
        alices_client,
        alice,
        starts_at=datetime(2026, 10, 20, 9, 0, tzinfo=NY),
        count=3,
    )
    first = series.sessions.order_by("starts_at").first()
    services.sessions_move(
        session=first,
        by=alice,
        day=date(2026, 10, 20),
        at=time(11, 0),
        duration_minutes=50,
        scope=services.FOLLOWING,
    )
    assert local_times(series) == [
        "2026-10-20 11:00",
        "2026-10-27 11:00",
        "2026-11-03 11:00",
    ]


def test_moving_one_occurrence_moves_only_it(client, alice, alices_client):
    series = make_series(alices_client, alice, count=3)
    second = series.sessions.order_by("starts_at")[1]
    client.force_login(alice)
    url = reverse("sessions:session_move", args=[second.code])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "date": "2026-03-12",
            "start_time": "16:00",
            "duration_minutes": "50",
            "scope": "ONE",
        },
    )
    assert response.status_code == 302
    assert local_times(series) == [
        "2026-03-03 10:00",
        "2026-03-12 16:00",
        "2026-03-17 10:00",
    ]
    assert AuditEvent.objects.filter(action="session.move").count() == 1


def test_rescheduling_onto_another_session_warns_and_keeps_what_was_typed(
    client, alice, alices_client
):
    series = make_series(alices_client, alice, count=2)
    first, second = series.sessions.order_by("starts_at")
    client.force_login(alice)
    url = reverse("sessions:session_move", args=[second.code])
    data = {
        "date": "2026-03-03",
        "start_time": "10:20",
        "duration_minutes": "50",
        "scope": "ONE",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Tue Mar 3, 10:00–10:50" in response.context["form"].errors["start_time"][0]
    assert 'value="10:20"' in response.content.decode()
    second.refresh_from_db()
    assert timezone.localtime(second.starts_at).day == 10
    assert client.post(url, {**data, "save_anyway": "on"}).status_code == 302


def test_cancelling_this_and_following_with_a_reason_sets_each_status_once(
    client, alice, alices_client
):
    series = make_series(alices_client, alice, count=4)
    sessions = list(series.sessions.order_by("starts_at"))
    TherapySession.objects.filter(pk=sessions[3].pk).update(status="ATTENDED")
    client.force_login(alice)
    url = reverse("sessions:session_cancel", args=[sessions[1].code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "CLINICIAN", "scope": "FOLLOWING"})
    assert response.status_code == 302
    statuses = [
        (s.status, s.cancel_reason) for s in series.sessions.order_by("starts_at")
    ]
    assert statuses == [
        ("SCHEDULED", ""),
        ("CANCELLED", "CLINICIAN"),
        ("CANCELLED", "CLINICIAN"),
        ("ATTENDED", ""),
    ]
    assert AuditEvent.objects.filter(action="series.cancel").count() == 1


@pytest.mark.parametrize("reason", list(CancelReason))
def test_each_reason_leaves_the_status_that_says_so(alice, alices_client, reason):
    session = make_session(
        alices_client,
        alice,
        starts_at=timezone.now() - timedelta(hours=3),
        status="SCHEDULED",
    )
    services.sessions_cancel(session=session, by=alice, reason=reason)
    session.refresh_from_db()
    assert session.status == STATUS_FOR[reason]
    assert session.cancel_reason == reason


def test_the_reasons_and_the_statuses_do_not_drift():
    """Every reason maps onto an existing status; every status that means "did not take
    place" has a reason that leads to it."""
    statuses = set(TherapySession.Status.values)
    assert set(STATUS_FOR) == set(CancelReason.values)
    assert set(STATUS_FOR.values()) <= statuses
    not_held = statuses - {"SCHEDULED", "ATTENDED"}
    assert set(STATUS_FOR.values()) == not_held


def test_the_database_refuses_a_reason_on_a_session_that_took_place(
    alice, alices_client
):
    session = make_session(alices_client, alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(cancel_reason="CLIENT")


def test_an_attended_or_noted_session_cannot_be_moved_or_cancelled(
    client, alice, alices_client
):
    attended = make_session(alices_client, alice)
    with pytest.raises(services.ScheduleError):
        services.sessions_cancel(session=attended, by=alice, reason="CLIENT")
    client.force_login(alice)
    response = client.post(
        reverse("sessions:session_cancel", args=[attended.code]), {"reason": "CLIENT"}
    )
    assert response.status_code == 400
    assert "marked attended" in response.content.decode()
    attended.refresh_from_db()
    assert attended.status == "ATTENDED"


def test_a_future_session_cannot_be_a_no_show(alice, alices_client):
    future = make_session(
        alices_client,
        alice,
        starts_at=timezone.now() + timedelta(days=2),
        status="SCHEDULED",
    )
    with pytest.raises(services.ScheduleError):
        services.sessions_cancel(session=future, by=alice, reason="NO_SHOW")


def test_editing_a_cancelled_session_back_to_scheduled_drops_its_reason(
    alice, alices_client
):
    session = make_session(
        alices_client,
        alice,
        starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=NY),
        status="SCHEDULED",
    )
    services.sessions_cancel(session=session, by=alice, reason="CLIENT")
    session.refresh_from_db()
    services.session_update(session=session, by=alice, data={"status": "SCHEDULED"})
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("SCHEDULED", "")


def test_the_session_form_warns_of_a_double_booking(client, alice, alices_client):
    make_session(
        alices_client,
        alice,
        starts_at=datetime(2026, 3, 16, 14, 0, tzinfo=NY),
        status="SCHEDULED",
    )
    client.force_login(alice)
    url = reverse("sessions:session_create", args=[alices_client.code])
    data = {
        "date": "2026-03-16",
        "start_time": "14:30",
        "duration_minutes": "50",
        "modality": "INDIVIDUAL",
        "setting": "IN_PERSON",
        "status": "SCHEDULED",
        "service_code": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Mon Mar 16, 14:00–14:50" in " ".join(
        response.context["form"].errors["start_time"]
    )
    assert client.post(url, {**data, "save_anyway": "on"}).status_code == 302
    assert TherapySession.objects.filter(client=alices_client).count() == 2


def test_a_co_therapist_moving_a_session_is_warned_of_its_clinicians_conflicts(
    client, alice, alices_client
):
    from tests.factories import make_assignment, make_user

    dora = make_user(email="dora@example.org", full_name="Dora Cotherapist")
    make_assignment(alices_client, dora)
    first, second = make_series(alices_client, alice, count=2).sessions.order_by(
        "starts_at"
    )
    client.force_login(dora)
    url = reverse("sessions:session_move", args=[second.code])
    data = {"date": "2026-03-03", "start_time": "10:30", "duration_minutes": "50"}
    response = client.post(url, {**data, "scope": "ONE"})
    assert response.status_code == 400
    assert "Tue Mar 3, 10:00–10:50" in response.context["form"].errors["start_time"][0]
