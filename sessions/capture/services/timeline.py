"""The session's event timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from ipnb_notes import batch
from measures import services as measures_services
from sessions.capture import kinds
from sessions.capture.services.common import session_event_querysets
from sessions.capture.services.events import open_ruptures
from sessions.capture.services.intervals import (
    RepairInterval,
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

    @property
    def code(self):
        return self.event.code

    @property
    def minute(self) -> int:
        return self.event.minute

    @property
    def announcement(self) -> str:
        return f"{self.title} tagged at minute {self.minute}"


def _session_label(session) -> str:
    return f"session of {timezone.localtime(session.starts_at):%b %-d, %Y}"


def _event_anchor(event, session) -> str:
    return session.get_absolute_url() + f"#event-{event.code}"


def _item(kind, event, session, session_starts) -> TimelineItem:
    """The kind's line (sessions.capture.kinds) for one event."""
    context = kinds.LineContext(
        session=session,
        time_to_repair=lambda rupture, repair: time_to_repair(
            rupture, repair, session_starts=session_starts
        ),
        anchor=lambda other: _event_anchor(other, other.session),
        session_label=_session_label,
    )
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
    return _item(kinds.kind_of(event).name, event, session, [])


def timeline_context(session, *, user=None) -> dict:
    """Context for the session's event timeline: items in order, open ruptures, ratings.
    Given the reading `user`, also whether they may edit the client's record (`can_edit`,
    the rule of access.can_edit_client: a current assignment of the user to the client) and
    why the session takes no events now (`refusal`, as capture_refusal), read in the same
    round trip instead of two more.

    A fixed number of queries, whatever the number of events (tests pin it)."""
    # One round trip for every kind's event table, the client's session starts, the open
    # ruptures and the ratings (ipnb_notes.batch).
    queries = session_event_querysets(session)
    starts = (
        TherapySession.objects.filter(
            client_id=session.client_id,
            status__in=[
                TherapySession.Status.ATTENDED,
                TherapySession.Status.SCHEDULED,
            ],
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )
    # The post-session check-ins (measures) join the same round trip.
    # The events, open ruptures and ratings are sorted here rather than by PostgreSQL, in
    # the same order (batch.sorted_here): compiling their ORDER BY cost more than sorting.
    extra = _user_queries(session, user) if user is not None else []
    results = batch.fetch(
        *(batch.sorted_here(qs) for qs in queries.values()),
        starts,
        batch.sorted_here(open_ruptures(session.client, exclude_after=session)),
        batch.sorted_here(
            IntegrationRating.objects.filter(session=session)
            .select_related("indicator")
            .order_by("indicator__sort_order", "indicator__id")
        ),
        measures_services.session_checkins(session),
        *extra,
    )
    rights = {}
    if extra:
        note_status, assignment = results[-2:]
        results = results[:-2]
        rights = {
            "can_edit": bool(assignment),
            "refusal": refusal_for(session, note_status[0] if note_status else None),
        }
    *fetched, session_starts, open_ruptures_list, ratings, checkins = results
    events = dict(zip(queries, fetched, strict=True))
    items = []
    for kind, rows in events.items():
        for event in rows:
            event.session = session
            items.append(_item(kind, event, session, session_starts))
    items.sort(key=lambda i: (i.minute, i.event.created_at))
    open_items = []
    for rupture in open_ruptures_list:
        open_items.append(
            {
                "rupture": rupture,
                "markers": kinds.labels(RuptureEvent.Marker.choices, rupture.markers),
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
        "capture_summary_text": summary_text(session, events),
        **rights,
    }


def _user_queries(session, user) -> list:
    """The session's note status (for refusal_for) and the user's current assignment to the
    client: the same rule as access.can_edit_client, which asks it on its own round trip."""
    from clients.models import CaseAssignment

    return [
        note_status_query(session),
        CaseAssignment.objects.current()
        .filter(client_id=session.client_id, therapist=user)
        .values_list("pk", flat=True)[:1],
    ]
