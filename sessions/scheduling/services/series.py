"""Recurring appointments: create a series, move one occurrence or this and the following
ones, cancel one or this and the following ones with a reason.

A series action writes its sessions in one statement (bulk_create or one UPDATE) and one
audit event. Sessions already attended, cancelled or with a note are never changed by a
series action: only those still "Scheduled" and without a note move or are cancelled."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

import audit
from accounts.models import User
from sessions.models import SessionSeries, TherapySession
from sessions.notes.services.common import NoteError
from sessions.scheduling import recurrence
from sessions.scheduling.vocabulary import STATUS_FOR, CancelReason


class ScheduleError(NoteError):
    """A scheduling rule was broken; the message is shown to the user."""


# How far a change reaches.
ONE = "ONE"
FOLLOWING = "FOLLOWING"


def series_dates(
    *, starts_at: datetime, frequency: str, until: date | None, count: int | None
) -> list[datetime]:
    """The start instants a series would have (the form shows conflicts before saving)."""
    return recurrence.occurrences(
        starts_at,
        frequency,
        timezone.get_current_timezone(),
        until=until,
        count=count,
    )


def series_create(
    *,
    client,
    by: User,
    starts_at: datetime,
    frequency: str,
    until: date | None = None,
    count: int | None = None,
    duration_minutes: int = 50,
    modality: str = TherapySession.Modality.INDIVIDUAL,
    setting: str = TherapySession.Setting.IN_PERSON,
    service_code: str = "",
    request=None,
) -> SessionSeries:
    """Schedule a client's recurring appointments with `by`: every occurrence at once."""
    starts = series_dates(
        starts_at=starts_at, frequency=frequency, until=until, count=count
    )
    if not starts:
        raise ScheduleError("The series ends before its first session.")
    with transaction.atomic():
        series = SessionSeries.objects.create(
            client=client,
            therapist=by,
            frequency=frequency,
            first_starts_at=starts[0],
            until=until,
            count=count,
            created_by=by,
        )
        TherapySession.objects.bulk_create(
            TherapySession(
                client=client,
                therapist=by,
                series=series,
                starts_at=start,
                duration_minutes=duration_minutes,
                modality=modality,
                setting=setting,
                service_code=service_code,
                status=TherapySession.Status.SCHEDULED,
            )
            for start in starts
        )
        audit.record(
            "series.create",
            actor=by,
            request=request,
            target=series,
            client_code=client.code,
            changes={
                "frequency": [None, frequency],
                "first": [None, starts[0].isoformat()],
                "last": [None, starts[-1].isoformat()],
                "sessions": [None, len(starts)],
            },
        )
    return series


def changeable(session: TherapySession, scope: str) -> QuerySet[TherapySession]:
    """The sessions a change of `session` reaches: itself, or it and the later sessions of
    its series; only those still scheduled and without a note."""
    if scope == FOLLOWING and session.series_id:
        reached = TherapySession.objects.filter(
            series_id=session.series_id, starts_at__gte=session.starts_at
        )
    else:
        reached = TherapySession.objects.filter(pk=session.pk)
    return reached.filter(status=TherapySession.Status.SCHEDULED, note__isnull=True)


def _require_scheduled(session: TherapySession) -> None:
    if session.status != TherapySession.Status.SCHEDULED:
        raise ScheduleError(
            f"This session is marked {session.get_status_display().lower()}: only a "
            "scheduled session can be moved or cancelled here. Change its status on the "
            "edit page."
        )
    if TherapySession.objects.filter(pk=session.pk, note__isnull=False).exists():
        raise ScheduleError(
            "This session has a progress note: it is part of the record and stays."
        )


def sessions_move(
    *,
    session: TherapySession,
    by: User,
    day: date,
    at: time,
    duration_minutes: int,
    scope: str = ONE,
    request=None,
) -> int:
    """Move a session to `day` at `at` (local time), or move it and the following sessions
    of its series by as many days and to the same local time of day. One UPDATE; returns
    how many sessions moved."""
    _require_scheduled(session)
    tz = timezone.get_current_timezone()
    old_day = timezone.localtime(session.starts_at, tz).date()
    shift = (day - old_day).days
    with transaction.atomic():
        reached = changeable(session, scope).select_for_update(of=("self",))
        codes = list(reached.values_list("code", flat=True))
        # Each session's local date, shifted, at the new local time, back to UTC: a move
        # across a daylight-saving change keeps the local time of day.
        moved = TherapySession.objects.filter(code__in=codes).update(
            starts_at=RawSQL(
                "(((starts_at AT TIME ZONE %s)::date + %s) + %s::time) AT TIME ZONE %s",
                (str(tz), shift, at.isoformat(), str(tz)),
            ),
            duration_minutes=duration_minutes,
            updated_at=timezone.now(),
        )
        audit.record(
            "series.move"
            if scope == FOLLOWING and session.series_id
            else "session.move",
            actor=by,
            request=request,
            target=session.series
            if scope == FOLLOWING and session.series_id
            else session,
            client_code=session.client.code,
            changes={
                "from": [session.starts_at.isoformat(), None],
                "to": [None, f"{day.isoformat()}T{at.isoformat()}"],
                "duration_minutes": [session.duration_minutes, duration_minutes],
                "sessions": [None, moved],
            },
        )
    return moved


def sessions_cancel(
    *,
    session: TherapySession,
    by: User,
    reason: str,
    scope: str = ONE,
    request=None,
) -> int:
    """Cancel a session, or it and the following sessions of its series, with a reason;
    the reason sets the status (vocabulary.STATUS_FOR). One UPDATE; returns how many."""
    if reason not in STATUS_FOR:
        raise ScheduleError("Choose why the session is cancelled.")
    _require_scheduled(session)
    if reason == CancelReason.NO_SHOW and session.starts_at > timezone.now():
        raise ScheduleError("A session in the future cannot be a no-show yet.")
    if reason == CancelReason.NO_SHOW and scope == FOLLOWING:
        raise ScheduleError("A no-show is recorded for one session at a time.")
    status = STATUS_FOR[reason]
    with transaction.atomic():
        reached = changeable(session, scope)
        cancelled = reached.update(
            status=status, cancel_reason=reason, updated_at=timezone.now()
        )
        in_series = scope == FOLLOWING and session.series_id
        audit.record(
            "series.cancel" if in_series else "session.cancel",
            actor=by,
            request=request,
            target=session.series if in_series else session,
            client_code=session.client.code,
            changes={
                "status": [TherapySession.Status.SCHEDULED, status],
                "reason": [None, reason],
                "from": [None, session.starts_at.isoformat()],
                "sessions": [None, cancelled],
            },
        )
    return cancelled
