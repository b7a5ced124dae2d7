"""Schedules of measures per client, and the links they create for upcoming sessions.

A schedule asks one questionnaire (or the post-session check-in) at the client's first session
and at every `every`-th session after it, counting the sessions that are scheduled or attended
(cancellations and no-shows do not count). A questionnaire's link is made for a scheduled
session starting within QUESTIONNAIRE_LEAD, so the client answers before it; a check-in's
link is made once the session is marked attended, within CHECKIN_WINDOW of its start.

The links are made in the background: saving a schedule queues `measures.tasks.schedule_run`
for the client, and beat's `measures.tasks.schedules_run_all` queues it for every client with
a schedule. Running twice makes nothing twice: one link per session and questionnaire (checked
first, and a unique constraint on scheduled links for two runs at once).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from ipnb_notes import batch, outbox
from measures import instruments
from measures.models import (
    MeasureLink,
    MeasureSchedule,
    MeasuresPolicy,
    PracticeInstrument,
    spec_for,
)
from measures.services import link_create

# How long before a session its questionnaire link is made (and emailed).
QUESTIONNAIRE_LEAD = timedelta(days=3)
# How long after an attended session's start its check-in link may still be made.
CHECKIN_WINDOW = timedelta(days=2)
# The schedule's range: every session at most, every 52nd at least.
EVERY_MIN, EVERY_MAX = 1, 52


def schedulable(in_use: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """What a schedule may ask: the registry's questionnaires, the client's check-in and the
    instruments the practice defined that are in use (one query, unless the caller read them
    already: `in_use`, their (key, name))."""
    from measures import practice_instruments

    if in_use is None:
        in_use = practice_instruments.active_choices()
    return [
        *instruments.LINK_CHOICES,
        *(
            (key, f"{name} ({instruments.PRACTICE_STATUS.lower()})")
            for key, name in in_use
        ),
    ]


def is_due(ordinal: int, every: int) -> bool:
    """The first session (ordinal 1) and every `every`-th after it: 1, 1 + every, ..."""
    return ordinal >= 1 and (ordinal - 1) % every == 0


def schedule_set(*, client, by, every: dict[str, int | None], request=None) -> dict:
    """Save the client's schedule (instrument code -> every n sessions, None for off), audit
    what changed and queue the run that makes the links now due. Unchanged: nothing written."""
    changes: dict[str, list[int | None]] = {}
    with transaction.atomic():
        existing = {
            s.instrument: s
            for s in MeasureSchedule.objects.select_for_update().filter(client=client)
        }
        allowed = {code for code, _ in schedulable()}
        for code, n in every.items():
            if code not in allowed:
                raise ValueError(f"{code!r} cannot be scheduled")
            old = existing.get(code)
            if n is None and old is not None:
                old.delete()
                changes[code] = [old.every, None]
            elif n is not None and old is None:
                MeasureSchedule.objects.create(
                    client=client, instrument=code, every=n, created_by=by
                )
                changes[code] = [None, n]
            elif n is not None and old is not None and old.every != n:
                changes[code] = [old.every, n]
                old.every = n
                old.save(update_fields=["every", "updated_at"])
        if changes:
            audit.record(
                "measure_schedule.change",
                actor=by,
                request=request,
                target=client,
                client_code=client.code,
                changes=changes,
            )
            outbox.enqueue("measures.tasks.schedule_run", client.id)
    return changes


def _numbered_sessions(client_id: int) -> list[tuple[int, object]]:
    """The client's counted sessions (scheduled or attended), numbered from 1 by start."""
    from sessions.models import TherapySession

    counted = (
        TherapySession.objects.filter(
            client_id=client_id,
            status__in=[
                TherapySession.Status.SCHEDULED,
                TherapySession.Status.ATTENDED,
            ],
        )
        .select_related("therapist")
        .order_by("starts_at", "pk")
    )
    return list(enumerate(counted, start=1))


def due_sessions(schedule: MeasureSchedule, numbered, now=None) -> list:
    """The sessions for which this schedule makes a link now (links made already or not)."""
    from sessions.models import TherapySession

    now = now or timezone.now()
    checkin = schedule.instrument in instruments.CHECKINS
    due = []
    for ordinal, session in numbered:
        if not is_due(ordinal, schedule.every):
            continue
        if checkin:
            ready = (
                session.status == TherapySession.Status.ATTENDED
                and now - CHECKIN_WINDOW <= session.starts_at <= now
            )
        else:
            ready = (
                session.status == TherapySession.Status.SCHEDULED
                and now < session.starts_at <= now + QUESTIONNAIRE_LEAD
            )
        if ready:
            due.append(session)
    return due


def schedule_run(*, client_id: int, now=None) -> list[MeasureLink]:
    """Make the links the client's schedules call for now, once each; emailed when the
    practice allows it and the client has an address, otherwise held for the therapist to
    copy. Returns the links made by this run."""
    from clients.models import Client

    client = Client.objects.filter(pk=client_id).first()
    erase_stale_tokens(client_id=client_id)
    schedules = list(MeasureSchedule.objects.filter(client_id=client_id))
    if client is None or not schedules:
        return []
    numbered = _numbered_sessions(client_id)
    email_allowed = MeasuresPolicy.current().email_scheduled_links
    retired = set(
        PracticeInstrument.objects.filter(
            key__in=[s.instrument for s in schedules], active=False
        ).values_list("key", flat=True)
    )
    made = []
    for schedule in schedules:
        if schedule.instrument in retired:
            continue
        spec = spec_for(schedule.instrument)
        for session in due_sessions(schedule, numbered, now):
            link = _make_link(
                client=client,
                spec=spec,
                session=session,
                email=client.email if email_allowed else "",
            )
            if link is not None:
                made.append(link)
    return made


def _make_link(*, client, spec, session, email: str) -> MeasureLink | None:
    """One scheduled link for this session and questionnaire, unless one exists (made by
    the schedule or by the therapist): None then."""
    try:
        with transaction.atomic():
            if MeasureLink.objects.filter(
                session=session, instrument=spec.code
            ).exists():
                return None
            link, _ = link_create(
                client=client,
                instrument=spec,
                by=session.therapist,
                email=email,
                session=session,
                scheduled=True,
            )
            return link
    except IntegrityError:  # another run made it at the same moment
        return None


def erase_stale_tokens(*, client_id: int) -> int:
    """Erase the held tokens of the client's scheduled links that can no longer be opened
    (used, revoked or expired): nobody needs them any more. Returns how many."""
    stale = (
        MeasureLink.objects.filter(client_id=client_id, scheduled=True)
        .exclude(held_token="")
        .exclude(pk__in=MeasureLink.objects.usable().values("pk"))
    )
    erased = 0
    for link in stale:
        link.held_token = ""
        link.save(update_fields=["held_token"])
        erased += 1
    return erased


def clients_with_schedules() -> list[int]:
    return list(
        MeasureSchedule.objects.order_by("client_id")
        .values_list("client_id", flat=True)
        .distinct()
    )


def schedules_run_all() -> int:
    """Queue one run per client with a schedule (beat); returns how many were queued."""
    ids = clients_with_schedules()
    with transaction.atomic():
        for client_id in ids:
            outbox.enqueue("measures.tasks.schedule_run", client_id)
    return len(ids)


def link_reveal(*, link: MeasureLink, by, request=None) -> str | None:
    """The token of a scheduled link waiting to be copied, shown once: erased as it is
    returned, and audited. None when it was shown already, emailed, used, revoked or
    expired."""
    with transaction.atomic():
        locked = MeasureLink.objects.select_for_update().get(pk=link.pk)
        if not locked.held_token or locked.state != "Open":
            return None
        token = locked.held_token
        locked.held_token = ""
        locked.save(update_fields=["held_token"])
        audit.record(
            "measure_link.copy",
            actor=by,
            request=request,
            target=locked,
            client_code=locked.client.code,
        )
    return token


def _schedule_reads(client_id: int) -> list:
    from measures import practice_instruments

    return [
        MeasureSchedule.objects.filter(client_id=client_id).values_list(
            "instrument", "every"
        ),
        MeasureLink.objects.filter(client_id=client_id, scheduled=True)
        .select_related("session")
        .defer("mail_to", "mail_token")
        .order_by("-created_at")[:SCHEDULED_LINKS_SHOWN],
        practice_instruments.in_use().values_list("key", "name"),
        MeasuresPolicy.objects.filter(pk=1),
    ]


# The page's statements are the same on every request but for the client: built and
# compiled once (ipnb_notes.batch.Baked).
_SCHEDULE_READS = batch.Baked(_schedule_reads)


def schedule_page(client) -> dict:
    """The schedule page, in one round trip: every how many sessions each instrument is
    asked (`every`, instrument code -> n), the links the schedule made (newest first, at
    most SCHEDULED_LINKS_SHOWN), what a schedule may ask (`schedulable`) and the practice's
    measure settings (`policy`, as MeasuresPolicy.current() reads them)."""
    every, links, in_use, policy = batch.fetch(*_SCHEDULE_READS(client.pk))
    return {
        "every": dict(every),
        "links": links,
        "schedulable": schedulable(in_use),
        "policy": policy[0] if policy else MeasuresPolicy(pk=1),
    }


SCHEDULED_LINKS_SHOWN = 30


def policy_set(*, email_scheduled_links: bool, by, request=None) -> MeasuresPolicy:
    """Save the practice's measure settings, auditing old and new values."""
    with transaction.atomic():
        row, _ = MeasuresPolicy.objects.select_for_update().get_or_create(pk=1)
        old = row.email_scheduled_links
        if old == email_scheduled_links:
            return row
        row.email_scheduled_links = email_scheduled_links
        row.updated_by = by
        row.save()
        audit.record(
            "measures.policy_change",
            actor=by,
            request=request,
            target=row,
            target_code="1",
            changes={"email_scheduled_links": [old, email_scheduled_links]},
        )
    return row
