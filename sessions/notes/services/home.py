"""The home page: today's sessions, notes to write, drafts, returned notes, open ruptures of the
clinician's own clients, the co-signature queue."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import NamedTuple
from uuid import UUID

from django.db.models import BooleanField, CharField, Prefetch, Value
from django.utils import timezone

from accounts.models import User
from ipnb_notes import batch, practice
from ipnb_notes.links import ZERO, link
from sessions.capture.services import open_ruptures_among
from sessions.models import (
    ProgressNote,
    RuptureEvent,
    SupervisionComment,
    TherapySession,
)
from sessions.notes.services.comments import anchor_label, open_threads_annotated


class written(Value):  # noqa: N801 (used like a function)
    """A status code (or a yes or no) written into the statement's text rather than bound
    as a parameter.

    The home's statements are prepared (ipnb_notes.batch) and, after a few requests, run on
    a generic plan that knows no parameter's value: a partial index (`WHERE status =
    'SCHEDULED'`, `... AND NOT has_note`) can only serve a statement whose SQL names the
    status and the flag itself. For the model's choice codes and booleans alone (never
    input)."""

    def __init__(self, code: str | bool):
        if isinstance(code, bool):
            super().__init__(code, output_field=BooleanField())
            return
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z_]+", code):
            raise ValueError(f"not a choice code: {code!r}")
        super().__init__(str(code), output_field=CharField())

    def as_sql(self, compiler, connection):
        if isinstance(self.value, bool):
            return ("true" if self.value else "false"), []
        return f"'{self.value}'", []


def late_after() -> timedelta:
    """When a note counts as late: the practice's setting (ipnb_notes.practice)."""
    return practice.note_late_after()


# The columns the home's rows show (templates/jinja2/home/): the lists read these alone,
# not every column of the notes, sessions, clients and clinicians they join.
CLIENT_COLUMNS = ("client__code", "client__preferred_name", "client__legal_name")
SESSION_COLUMNS = (
    "code",
    "starts_at",
    "duration_minutes",
    "status",
    "client",
    *CLIENT_COLUMNS,
)
# Today's sessions as plain rows (TodayRow): the page only prints them.
TODAY_COLUMNS = (
    "code",
    "starts_at",
    "status",
    "client__code",
    "client__preferred_name",
    "client__legal_name",
    "note__status",
)
# The clinician's drafts as plain rows (DraftRow): the page only prints them.
DRAFT_COLUMNS = (
    "code",
    "updated_at",
    "session__code",
    "session__starts_at",
    "session__duration_minutes",
    "client__code",
    "client__preferred_name",
    "client__legal_name",
)
RETURNED_COLUMNS = (
    "code",
    "status",
    "session",
    "session__code",
    "session__starts_at",
    "client",
    *CLIENT_COLUMNS,
)
# The co-signature queue as plain rows (QueueRow): the page only prints them.
QUEUE_COLUMNS = (
    "code",
    "signed_at",
    "session__starts_at",
    "client__code",
    "client__preferred_name",
    "client__legal_name",
    "author__full_name",
    "author__email",
)
THREAD_COLUMNS = (
    "code",
    "kind",
    "text",
    "anchor_type",
    "anchor_code",
    "anchor_section",
    "created_at",
    "resolved_at",
    "author",
    "author__full_name",
    "author__email",
    "note",
    "note__code",
    "note__author",
    "note__status",
    "note__session",
    "note__session__code",
    "note__session__starts_at",
    "note__client",
    *(f"note__{column}" for column in CLIENT_COLUMNS),
)
ALERT_COLUMNS = (
    "code",
    "raised_at",
    "client",
    *CLIENT_COLUMNS,
    "administration",
    "administration__mode",
)
RUPTURE_COLUMNS = (
    "code",
    "minute",
    "rupture_type",
    "session",
    "session__code",
    "session__starts_at",
    "client",
    *CLIENT_COLUMNS,
)


@dataclass
class HomeRow:
    session: TherapySession
    note: ProgressNote | None
    late: bool


class ClientNames(NamedTuple):
    """A client as a home row names and links it (and as the home's read event records it)."""

    code: UUID
    preferred_name: str
    legal_name: str


class TodayRow(NamedTuple):
    """One of today's sessions, as Today prints it: its note's status alone (None for no
    note), no session, client and note instances for a row that is only shown."""

    code: UUID
    starts_at: datetime
    status: str
    client: ClientNames
    note_status: str | None

    @classmethod
    def of(cls, row: tuple) -> TodayRow:
        code, starts_at, status, client, preferred, legal, note_status = row
        return cls(
            code, starts_at, status, ClientNames(client, preferred, legal), note_status
        )


class DraftRow(NamedTuple):
    """One of the clinician's draft notes, as Notes to write prints it (no note, session and
    client instances for a row that is only shown)."""

    code: UUID
    updated_at: datetime
    session_code: UUID
    starts_at: datetime
    client: ClientNames
    is_late: bool

    @classmethod
    def of(cls, row: tuple, now: datetime, late: timedelta) -> DraftRow:
        code, updated_at, session, starts_at, minutes, client, preferred, legal = row
        ends_at = starts_at + timedelta(minutes=minutes)  # as TherapySession.ends_at
        return cls(
            code,
            updated_at,
            session,
            starts_at,
            ClientNames(client, preferred, legal),
            now - ends_at > late,
        )


class QueueRow(NamedTuple):
    """A note awaiting the supervisor's co-signature, as the queue prints it: no model
    instances (a note, its session, client and author each) for a row that is only shown."""

    code: UUID
    signed_at: datetime | None
    starts_at: datetime
    client: ClientNames
    author: str  # as the author's User prints: the full name, else the email


# --- The rows as the home's Jinja2 partials print them --------------------------------------------
#
# Each row of templates/jinja2/home/_cosign_rows.html, _to_write_rows.html and _rupture_rows.html
# is a tuple of the texts its cells print, in the current time zone (looked up once per page,
# not once per date), with its links filled in from a pattern reversed once per script prefix.
# The partial unpacks each tuple in its loop and escapes every text as before.

_LINKED = (
    "sessions:note_detail",
    "sessions:note_edit",
    "sessions:session_detail",
    "clients:client_detail",
)


def links() -> dict[str, str]:
    """The home rows' link patterns (ipnb_notes.links: reversed once per process), the zero
    code standing for each row's code."""
    return {name: link(name, ZERO) for name in _LINKED}


def cosign_rows_and_lines(rows: list[tuple], tz) -> tuple[list[QueueRow], list[tuple]]:
    """The queue's statement rows (QUEUE_COLUMNS) as QueueRows and, in the same pass, the
    lines the queue prints: (signed datetime attribute, signed, clinician, client, session,
    review link) per note."""
    review = links()["sessions:note_detail"]
    queue, lines = [], []
    for code, signed_at, starts_at, client, preferred, legal, full_name, email in rows:
        author = full_name or email
        queue.append(
            QueueRow(
                code,
                signed_at,
                starts_at,
                ClientNames(client, preferred, legal),
                author,
            )
        )
        if signed_at is None:
            signed_attr = signed = ""
        else:
            local = signed_at.astimezone(tz)
            signed_attr, signed = local.isoformat(), local.strftime("%b %-d, %H:%M")
        lines.append(
            (
                signed_attr,
                signed,
                author,
                preferred or legal,
                starts_at.astimezone(tz).strftime("%b %-d"),
                review.replace(ZERO, str(code)),
            )
        )
    return queue, lines


def to_write_lines(to_write: list, drafts: list[DraftRow], tz) -> tuple[list, list]:
    """Notes to write: (late, datetime attribute, session, client, editor link) per attended
    session without a note, and per draft the same with its saved time before the link."""
    edit = links()["sessions:note_edit"]
    sessions = []
    for s in to_write:
        local = s.starts_at.astimezone(tz)
        sessions.append(
            (
                s.is_late,
                local.isoformat(),
                local.strftime("%b %-d, %H:%M"),
                s.client.preferred_name or s.client.legal_name,
                edit.replace(ZERO, str(s.code)),
            )
        )
    written = []
    for n in drafts:
        local = n.starts_at.astimezone(tz)
        written.append(
            (
                n.is_late,
                local.isoformat(),
                local.strftime("%b %-d, %H:%M"),
                n.client.preferred_name or n.client.legal_name,
                n.updated_at.astimezone(tz).strftime("%b %-d, %H:%M"),
                edit.replace(ZERO, str(n.session_code)),
            )
        )
    return sessions, written


# A note its author may still edit (ProgressNote.is_editable).
EDITABLE = frozenset((ProgressNote.Status.DRAFT, ProgressNote.Status.RETURNED))


@functools.cache
def _status_labels() -> tuple[dict[str, str], dict[str, str]]:
    return dict(TherapySession.Status.choices), dict(ProgressNote.Status.choices)


def today_lines(sessions: list, tz) -> list[tuple]:
    """(session link, datetime attribute, time, client link, client, status, editor link or
    "", note) per session today. The note cell: its status, linked to the editor while the
    note is a draft or returned; "Write note" for an attended session without one; "" for
    none."""
    page, client_page = (
        links()["sessions:session_detail"],
        links()["clients:client_detail"],
    )
    edit = links()["sessions:note_edit"]
    session_statuses, note_statuses = _status_labels()
    lines = []
    for s in sessions:
        local = s.starts_at.astimezone(tz)
        code = str(s.code)
        note_status = s.note_status
        if note_status is not None:
            label = note_statuses.get(note_status, note_status)
            editor = edit.replace(ZERO, code) if note_status in EDITABLE else ""
        elif s.status == TherapySession.Status.ATTENDED:
            label, editor = "Write note", edit.replace(ZERO, code)
        else:
            label = editor = ""
        lines.append(
            (
                page.replace(ZERO, code),
                local.isoformat(),
                local.strftime("%H:%M"),
                client_page.replace(ZERO, str(s.client.code)),
                s.client.preferred_name or s.client.legal_name,
                session_statuses.get(s.status, s.status),
                editor,
                label,
            )
        )
    return lines


@functools.cache
def _rupture_types() -> dict[str, str]:
    return dict(RuptureEvent.Type.choices)


def rupture_lines(ruptures: list, tz) -> list[tuple]:
    """(moment link, datetime attribute, session date, minute, client link, client, type,
    open for) per open rupture."""
    page, client_page = (
        links()["sessions:session_detail"],
        links()["clients:client_detail"],
    )
    types = _rupture_types()
    lines = []
    for r in ruptures:
        local = r.session.starts_at.astimezone(tz)
        lines.append(
            (
                f"{page.replace(ZERO, str(r.session.code))}#event-{r.code}",
                local.isoformat(),
                local.strftime("%b %-d"),
                r.minute,
                client_page.replace(ZERO, str(r.client.code)),
                r.client.preferred_name or r.client.legal_name,
                types.get(r.rupture_type, r.rupture_type),
                f"{r.age_days} day{'' if r.age_days == 1 else 's'}",
            )
        )
    return lines


def _home_lists(user: User, now, start, end, *, limit: int, supervisor: bool) -> list:
    """The home's lists, built once per shape (ipnb_notes.batch.Baked): the values are the
    reader, the clock and today's bounds."""
    from ipnb_notes import access

    mine = access.visible_sessions(user).filter(therapist=user)
    today_sessions = (
        mine.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at")
        .values_list(*TODAY_COLUMNS)[:limit]
    )
    # Attended sessions without a note: the session's own flag, kept by the notes' trigger,
    # through the partial index that names the status and the flag (as the SQL must).
    to_write = (
        mine.filter(
            status=written(TherapySession.Status.ATTENDED),
            has_note=written(False),
            starts_at__lt=now,
        )
        .select_related("client")
        .only(*SESSION_COLUMNS)
        .order_by("starts_at")[:limit]
    )
    notes = (
        access.visible_notes(user)
        .filter(author=user)
        .select_related("session", "client")
        .order_by("session__starts_at")
    )
    drafts = notes.filter(status=ProgressNote.Status.DRAFT).values_list(*DRAFT_COLUMNS)[
        :limit
    ]
    returned = notes.filter(status=ProgressNote.Status.RETURNED).only(*RETURNED_COLUMNS)
    returned = returned.prefetch_related(
        Prefetch(
            "comments",
            queryset=SupervisionComment.objects.filter(
                kind=SupervisionComment.Kind.RETURN
            ).select_related("author"),
            to_attr="return_comments",
        )
    )[:limit]
    # Unresolved supervision threads on this clinician's notes (and, for a supervisor, on
    # their supervisees' notes), oldest first.
    threads = open_threads_annotated(access.open_threads(user)).only(*THREAD_COLUMNS)[
        :limit
    ]
    # The emergency notices at the head of the page (audit/_emergency_notices.html) ride in
    # the same round trip; the context processor's lazy look-up is then never run.
    notices = access.emergency_notices(user)
    # Ruptures no repair has resolved, on the clients of this clinician's own caseload.
    ruptures = (
        open_ruptures_among(access.own_ruptures(user))
        .select_related("client")
        .only(*RUPTURE_COLUMNS)[:limit]
    )
    # Sessions that have started but are still "Scheduled": marked in one click at the top.
    past_scheduled = (
        mine.filter(status=written(TherapySession.Status.SCHEDULED), starts_at__lt=now)
        .select_related("client")
        .only(*SESSION_COLUMNS)
        .order_by("starts_at")[:limit]
    )
    # Open risk alerts (PHQ-9 item 9), first on the page.
    alerts = (
        access.open_risk_alerts(user)
        .select_related("client", "administration")
        .only(*ALERT_COLUMNS)[:limit]
    )
    lists = [today_sessions, to_write, drafts, returned, threads, notices, ruptures]
    lists += [past_scheduled, alerts]
    if supervisor:
        lists.append(access.cosignature_queue(user).values_list(*QUEUE_COLUMNS)[:limit])
    return lists


_HOME_LISTS = batch.Baked(_home_lists)


def home_context(user: User, *, limit: int = 50) -> dict:
    """Open risk alerts, today's sessions, notes to write (oldest first, late per `late_after`),
    drafts, returned notes and, for supervisors, the co-signature queue. A fixed number of
    queries, whatever the data."""
    now = timezone.now()
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    end = start + timedelta(days=1)
    # Every list in one round trip (ipnb_notes.batch); the return comments follow.
    supervisor = user.is_supervisor
    lists = _HOME_LISTS(user, now, start, end, limit=limit, supervisor=supervisor)
    # Today's sessions, the drafts and the co-signature queue are values_list rows: read as
    # plain tuples (batch.plain), no queryset to clone for them. The other lists' rows are
    # made model instances only when there are some (batch.filled): most are empty.
    plain = {0, 2, len(lists) - 1} if supervisor else {0, 2}
    reads = [
        batch.plain(b) if i in plain else batch.statement(b)
        for i, b in enumerate(lists)
    ]
    # The practice's late-note threshold rides in the same round trip.
    *rows, late_rows = batch.fetch(*reads, practice.note_late_hours_read())
    (today_sessions, to_write, drafts, returned, threads, notices, ruptures, *more) = [
        r if i in plain else batch.filled(lists[i], r) for i, r in enumerate(rows)
    ]
    past_scheduled, alerts, *queue = more
    late_hours = practice.note_late_hours_of(late_rows)
    late = timedelta(hours=late_hours)
    for s in to_write:
        s.is_late = now - s.ends_at > late
    today_sessions = [TodayRow.of(row) for row in today_sessions]
    drafts = [DraftRow.of(row, now, late) for row in drafts]
    for n in returned:
        n.return_comment = n.return_comments[-1] if n.return_comments else None
    for t in threads:
        t.client = t.note.client  # the home's read event names the clients shown
        t.about = anchor_label(t)
        t.awaits_reply = (t.last_speaker_id or t.author_id) != user.pk
    tz = timezone.get_current_timezone()
    for r in ruptures:
        r.age_days = (today - r.session.starts_at.astimezone(tz).date()).days
    to_write_rows, draft_rows = to_write_lines(to_write, drafts, tz)
    context = {
        "open_threads": threads,
        "today_sessions": today_sessions,
        "today_lines": today_lines(today_sessions, tz),
        "to_write": to_write,
        "drafts": drafts,
        "to_write_lines": to_write_rows,
        "draft_lines": draft_rows,
        "returned": returned,
        "emergency_notices": notices,
        "open_ruptures": ruptures,
        "rupture_lines": rupture_lines(ruptures, tz),
        "past_scheduled": past_scheduled,
        "risk_alerts": alerts,
        "late_hours": late_hours,
    }
    if queue:  # a supervisor's
        context["cosign_queue"], context["cosign_lines"] = cosign_rows_and_lines(
            queue[0], tz
        )
    return context
