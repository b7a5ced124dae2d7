"""The session's event timeline."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Expression, F, IntegerField, OuterRef, Subquery
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import lazy

from ipnb_notes import batch, links
from measures import services as measures_services
from sessions.capture import kinds
from sessions.capture.services.common import plain_rows
from sessions.capture.services.events import open_ruptures_among
from sessions.capture.services.intervals import (
    RepairInterval,
    session_starts_query,
    starts_of,
    time_open,
    time_to_repair,
)
from sessions.capture.services.rules import note_status_query, refusal_for
from sessions.capture.services.summary import summary_text
from sessions.models import IntegrationRating, RuptureEvent, TherapySession


@dataclass
class TimelineItem:
    kind: str
    event: object
    title: str
    details: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    interval: RepairInterval | None = None
    open: bool = False
    urls: TimelineUrls | None = None  # its session's, shared by the timeline's items

    @property
    def code(self):
        return self.event.code

    @property
    def minute(self) -> int:
        return self.event.minute

    @property
    def announcement(self) -> str:
        return f"{self.title} tagged at minute {self.minute}"

    @property
    def comment_query(self) -> str:
        """What anchors a supervisor's comment to the event, after the note page's address
        ("?anchor_type=rupture&anchor_code=...")."""
        return f"?anchor_type={_KIND_QUERY[self.kind]}&anchor_code={self.code}"

    @property
    def edit_url(self) -> str:
        """Where the capture panel edits the event (sessions:event_edit)."""
        urls = self.urls or TimelineUrls(self.event.session.code)
        return urls.edit(self.kind, self.code)


def _session_label(session) -> str:
    return f"session of {timezone.localtime(session.starts_at):%b %-d, %Y}"


# Each kind's name as a query string value (as Jinja2's urlencode wrote it), once per process.
_KIND_QUERY = {kind.name: quote(kind.name, safe="/") for kind in kinds.KINDS}

# The timeline's addresses, each URL pattern reversed once per process (per script prefix and
# URLconf) with stand-ins (links.ZERO for a code) that each event's values then replace.
_KIND_SLOT = "/event-kind/"


def _session_url(session_code) -> str:
    return links.link("sessions:session_detail", session_code)


class TimelineUrls:
    """The addresses the timeline prints for one session's events: the edit pattern read
    once per timeline (not per event), each event's kind and code put in their places."""

    __slots__ = ("_edit", "session_code")

    def __init__(self, session_code) -> None:
        self.session_code = str(session_code)
        self._edit = None

    def edit(self, kind: str, code) -> str:
        if self._edit is None:
            pattern = _edit_pattern(
                get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF
            )
            self._edit = pattern.replace(links.ZERO, self.session_code, 1)
        return self._edit.replace(_KIND_SLOT, f"/{kind}/").replace(
            links.ZERO, str(code)
        )


@lru_cache(maxsize=16)
def _edit_pattern(_prefix: str, urlconf: str | None, _root: str) -> str:
    return reverse(
        "sessions:event_edit",
        urlconf=urlconf,
        args=[links.ZERO, _KIND_SLOT.strip("/"), links.ZERO],
    )


def _event_anchor(event, session) -> str:
    return _session_url(session.code) + f"#event-{event.code}"


def _context(session, session_starts) -> kinds.LineContext:
    """What the kinds' lines need beyond their event, once per timeline: the session's own
    address is reversed once for every event of it."""
    here = _session_url(session.code)

    def anchor(other) -> str:
        url = (
            here if other.session_id == session.id else _session_url(other.session.code)
        )
        return f"{url}#event-{other.code}"

    return kinds.LineContext(
        session=session,
        time_to_repair=lambda rupture, repair: time_to_repair(
            rupture, repair, session_starts=session_starts
        ),
        anchor=anchor,
        session_label=_session_label,
    )


def _item(kind, event, context) -> TimelineItem:
    """The kind's line (sessions.capture.kinds) for one event."""
    line = kinds.BY_NAME[kind].line(event, context)
    return TimelineItem(
        kind,
        event,
        line.title,
        line.details,
        line.links,
        interval=line.interval,
        open=line.open,
    )


def describe(event, session) -> TimelineItem:
    """How one event reads on the timeline and in announcements ("Withdrawal rupture")."""
    return _item(kinds.kind_of(event).name, event, _context(session, []))


# --- Events read as plain rows ------------------------------------------------------------------
#
# The timeline reads every kind's events as rows of one statement (_Events: a UNION ALL of a
# branch per kind), not as model instances: building an instance per event, and per related
# repair, rupture and session, cost more than the rest of the timeline, and a statement per
# kind cost more than its few rows. An EventRow answers what the kinds' lines and summaries,
# the timeline's templates and the capture panel read of an event: its model's fields by
# attribute name, its `session`, its related event (a rupture's `repair`, a repair's
# `rupture`, with their own `session`), its note (decrypted for its row on first read, as the
# model's field does) and its model's _meta (kinds.kind_of). The columns come from the models
# and the registry's `related` paths; only the bookkeeping nothing reads is named (_UNREAD).


class EventRow:
    """One session event of a kind, read as a row (see above)."""

    _meta = None  # its model's
    _note_field = None

    @property
    def pk(self):
        return self.id

    @property
    def note(self):
        """The note, opened for its row (its model field's rule) on first read."""
        attrs = self.__dict__
        if "opened_note" not in attrs:
            token = attrs["stored_note"]
            attrs["opened_note"] = (
                self._note_field.open(self, token) if token else token
            )
        return attrs["opened_note"]


class SessionRef:
    """The session of a related event: what its line reads (its code and start)."""

    __slots__ = ("code", "id", "starts_at")

    def __init__(self, id, code, starts_at) -> None:
        self.id, self.code, self.starts_at = id, code, starts_at


_SESSION_COLUMNS = ("id", "code", "starts_at")


def _row_class(model) -> type:
    return type(
        f"{model.__name__}Row",
        (EventRow,),
        {"_meta": model._meta, "_note_field": model._meta.get_field("note")},
    )


# What neither a line, a summary, the timeline's templates nor the capture panel reads of an
# event (its bookkeeping), and also not of a related event (its note, author and creation).
_UNREAD = {"updated_at", "idempotency_key"}
_UNREAD_RELATED = _UNREAD | {"note", "created_by_id", "created_at"}


def _event_columns(model, unread=_UNREAD) -> list[str]:
    """Its model's columns but the unread ones; the note's is read as `stored_note`
    (EventRow.note opens it)."""
    return [f.attname for f in model._meta.concrete_fields if f.attname not in unread]


def _attribute(column: str) -> str:
    return "stored_note" if column == "note" else column


class _Sql(Expression):
    """A fixed piece of SQL of a column's type: a kind's number, or a typed NULL where
    another kind's branch of the events' UNION has a column."""

    def __init__(self, sql: str, field) -> None:
        super().__init__(output_field=field)
        self.sql = sql

    def as_sql(self, compiler, connection):
        return self.sql, []

    @classmethod
    def null(cls, field) -> _Sql:
        return cls(f"NULL::{field.db_type(connection)}", field)


class _KindRows:
    """How one kind's rows are read and built: the columns of its events, then of each
    related event and that event's session (the kind's `related`, "repair__session"), as
    (path, field) from its model."""

    def __init__(self, index: int, kind, common: list[str]) -> None:
        self.index, self.kind = index, kind
        self.row = _ROW_CLASSES[kind.model]
        meta = kind.model._meta
        self.columns = [
            (c, meta.get_field(c))
            for c in _event_columns(kind.model)
            if c not in common
        ]
        self.names = [*(_attribute(c) for c in common), *(c for c, _ in self.columns)]
        self.related = []  # (attribute, row class, its names, slice, its session's slice)
        for path in kind.related:
            name, _, rest = path.partition("__")
            if rest != "session":
                raise ValueError(f"kind {kind.name!r}: related {path!r} is not read")
            model = meta.get_field(name).related_model
            columns = _event_columns(model, _UNREAD_RELATED)
            start = len(self.columns)
            self.columns += [
                (f"{name}__{c}", model._meta.get_field(c)) for c in columns
            ]
            self.columns += [
                (f"{name}__session__{c}", TherapySession._meta.get_field(c))
                for c in _SESSION_COLUMNS
            ]
            self.related.append((name, _ROW_CLASSES[model], columns, start))

    def place(self, offset: int, common: int) -> None:
        """Where its own columns sit in the UNION's rows: after the kind's number, the
        common columns and the columns of the kinds before it."""
        self.start = offset
        own = len(self.names) - common
        self.own = [0, *range(1, 1 + common), *range(offset, offset + own)]
        self.related_at = [
            (
                name,
                cls,
                columns,
                slice(offset + start, offset + start + len(columns)),
                slice(
                    offset + start + len(columns),
                    offset + start + len(columns) + len(_SESSION_COLUMNS),
                ),
            )
            for name, cls, columns, start in self.related
        ]
        self.pick = operator.itemgetter(*self.own[1:])

    def build(self, values, session):
        event = object.__new__(self.row)
        attrs = dict(zip(self.names, self.pick(values), strict=True))
        attrs["session"] = session
        for name, other_cls, columns, own, of_session in self.related_at:
            other = None
            other_values = values[own]
            if other_values[0] is not None:  # its id: the LEFT JOIN found it
                other = object.__new__(other_cls)
                other.__dict__ = dict(zip(columns, other_values, strict=True))
                other.session = SessionRef(*values[of_session])
            attrs[name] = other
        event.__dict__ = attrs
        return event


class _Events:
    """Every kind's events of a session in one statement: a UNION ALL of one branch per
    kind, each row the kind's number, the columns every kind shares, then each kind's own
    columns (a typed NULL in the other kinds' branches)."""

    def __init__(self, registry) -> None:
        models = [kind.model for kind in registry]
        self.common = [
            c
            for c in _event_columns(models[0])
            if all(c in _event_columns(m) for m in models)
        ]
        self.kinds = [
            _KindRows(i, kind, self.common) for i, kind in enumerate(registry)
        ]
        offset = 1 + len(self.common)
        for reader in self.kinds:
            reader.place(offset, len(self.common))
            offset += len(reader.columns)

    def queryset(self, session_id):
        branches = []
        for reader in self.kinds:
            meta = reader.kind.model._meta
            select = [_Sql(str(reader.index), IntegerField())]
            select += [F(c) for c in self.common]
            for other in self.kinds:
                select += [
                    F(path) if other is reader else _Sql.null(field)
                    for path, field in other.columns
                ]
            branches.append(
                meta.model.objects.filter(session=session_id)
                .order_by()
                .values_list(*select)
            )
        # Every column comes as psycopg loads it (no converter per column; the note as its
        # token, which EventRow.note opens).
        return plain_rows(branches[0].union(*branches[1:], all=True).order_by())

    def build(self, rows, session) -> dict[str, list]:
        """The events by kind name, each kind's in the timeline's order (minute, creation,
        then id; between kinds, the registry's order)."""
        events = {reader.kind.name: [] for reader in self.kinds}
        kinds_ = self.kinds
        minute, created = (
            1 + self.common.index("minute"),
            1 + self.common.index("created_at"),
        )
        pk = 1 + self.common.index("id")
        for values in sorted(rows, key=lambda r: (r[minute], r[created], r[0], r[pk])):
            reader = kinds_[values[0]]
            events[reader.kind.name].append(reader.build(values, session))
        return events


_ROW_CLASSES = {kind.model: _row_class(kind.model) for kind in kinds.KINDS}
_EVENTS = _Events(kinds.KINDS)


def timeline_context(session, *, user=None) -> dict:
    """Context for the session's event timeline: items in order, open ruptures, ratings.
    Given the reading `user`, also whether they may edit the client's record (`can_edit`,
    the rule of access.can_edit_client: a current assignment of the user to the client) and
    why the session takes no events now (`refusal`, as capture_refusal), read in the same
    round trip instead of two more.

    A fixed number of queries, whatever the number of events (tests pin it)."""
    # One round trip for every kind's event table, the client's session starts, the open
    # ruptures, the ratings and the check-ins (ipnb_notes.batch), built and compiled once
    # per shape (batch.Baked): only the session, client, start and reader change.
    for_user = user is not None
    results = batch.fetch(
        *_TIMELINE_READS(
            session.pk,
            session.client_id,
            session.starts_at,
            user.pk if for_user else 0,
            for_user=for_user,
        )
    )
    rights = {}
    if for_user:
        ((note_status, assigned),) = results.pop() or [(None, False)]
        rights = {
            "can_edit": assigned,
            "refusal": refusal_for(session, note_status),
        }
    event_rows, start_rows, open_ruptures_list, ratings, checkins = results
    session_starts = starts_of(start_rows)
    context = _context(session, session_starts)
    urls = TimelineUrls(session.code)
    events = _EVENTS.build(event_rows, session)
    items = []
    for kind in kinds.KINDS:
        name, line = kind.name, kind.line
        for event in events[name]:
            line_ = line(event, context)
            items.append(
                TimelineItem(
                    name,
                    event,
                    line_.title,
                    line_.details,
                    line_.links,
                    interval=line_.interval,
                    open=line_.open,
                    urls=urls,
                )
            )
    # Each kind's rows come in (minute, created_at, id) order; the sort is stable.
    items.sort(key=_ITEM_ORDER)
    open_items = []
    for rupture in open_ruptures_list:
        open_items.append(
            {
                "rupture": rupture,
                "markers": kinds.labels(_MARKER_LABELS, rupture.markers),
                "waiting": time_open(rupture, session, session_starts=session_starts),
                "same_session": rupture.session_id == session.id,
                "url": _event_anchor(rupture, rupture.session),
            }
        )
    return {
        "timeline": items,
        "open_ruptures": open_items,
        "session_ratings": ratings,
        "session_checkins": measures_services.timeline_checkins(checkins),
        # Written only when read (no page prints it; the summary view writes its own).
        "capture_summary_text": _lazy_summary(session, events),
        **rights,
    }


def _ITEM_ORDER(item):
    event = item.event
    return (event.minute, event.created_at)


_MARKER_LABELS = kinds.label_map(RuptureEvent.Marker)
_lazy_summary = lazy(summary_text, str)


def _timeline_reads(session_id, client_id, starts_at, user_id, *, for_user: bool):
    """The timeline's querysets, in timeline_context's order: every kind's events in one
    statement (_Events, sorted by _Events.build), the client's session starts, the open
    ruptures and ratings sorted here rather than by PostgreSQL, in the same order
    (batch.sorted_here), the check-ins. With `for_user`, one row more: the session's note
    status (for refusal_for) and whether the user is currently assigned to the client, the
    same rule as access.can_edit_client, which asks it on a round trip of its own."""
    from clients.models import CaseAssignment

    reads = [
        _EVENTS.queryset(session_id),
        session_starts_query(client_id),
        # open_ruptures(client, exclude_after=session), from the session's values.
        batch.sorted_here(
            open_ruptures_among(
                RuptureEvent.objects.filter(client_id=client_id)
            ).filter(session__starts_at__lte=starts_at)
        ),
        batch.sorted_here(
            IntegrationRating.objects.filter(session_id=session_id)
            .select_related("indicator")
            .order_by("indicator__sort_order", "indicator__id")
        ),
        # The post-session check-ins (measures) join the same round trip.
        measures_services.session_checkins(session_id),
    ]
    if for_user:
        # One row: the note's status (None: no note) and whether the user is assigned.
        reads.append(
            plain_rows(
                TherapySession.objects.filter(pk=session_id).values_list(
                    Subquery(note_status_query(OuterRef("pk"))),
                    Exists(
                        CaseAssignment.objects.current().filter(
                            client_id=client_id, therapist_id=user_id
                        )
                    ),
                )
            )
        )
    return reads


_TIMELINE_READS = batch.Baked(_timeline_reads)
