"""The session's event timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from ipnb_notes import batch
from measures import services as measures_services
from sessions.capture import kinds
from sessions.capture.services.common import session_event_querysets
from sessions.capture.services.events import open_ruptures_among
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
        note_status, assignment = results[-2:]
        results = results[:-2]
        rights = {
            "can_edit": bool(assignment),
            "refusal": refusal_for(session, note_status[0] if note_status else None),
        }
    *fetched, session_starts, open_ruptures_list, ratings, checkins = results
    events = dict(zip(_KIND_NAMES, fetched, strict=True))
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


def _timeline_reads(session_id, client_id, starts_at, user_id, *, for_user: bool):
    """The timeline's querysets, in timeline_context's order. The events, open ruptures and
    ratings are sorted here rather than by PostgreSQL, in the same order (batch.sorted_here):
    compiling their ORDER BY cost more than sorting. With `for_user`: the session's note
    status (for refusal_for) and the user's current assignment to the client, the same rule
    as access.can_edit_client, which asks it on a round trip of its own."""
    from clients.models import CaseAssignment

    reads = [
        *(batch.sorted_here(qs) for qs in session_event_querysets(session_id).values()),
        TherapySession.objects.filter(
            client_id=client_id,
            status__in=[
                TherapySession.Status.ATTENDED,
                TherapySession.Status.SCHEDULED,
            ],
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True),
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
        reads += [
            note_status_query(session_id),
            CaseAssignment.objects.current()
            .filter(client_id=client_id, therapist_id=user_id)
            .values_list("pk", flat=True)[:1],
        ]
    return reads


_TIMELINE_READS = batch.Baked(_timeline_reads)
_KIND_NAMES = [kind.name for kind in kinds.KINDS]
