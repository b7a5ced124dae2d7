"""The session's event timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from ipnb_notes import batch
from sessions.models import (
    AttunementMoment,
    IntegrationRating,
    RepairEvent,
    RuptureEvent,
    TherapySession,
)
from sessions.services.capture.common import (
    MODEL_KINDS,
    _labels,
    _session_event_querysets,
)
from sessions.services.capture.events import open_ruptures
from sessions.services.capture.intervals import (
    RepairInterval,
    time_open,
    time_to_repair,
)
from sessions.services.capture.summary import _summary


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
    if kind == "attunement":
        details = _labels(AttunementMoment.Cue.choices, event.cue_channels)
        details.append(event.get_direction_display())
        if event.quality:
            details.append(f"quality {event.quality}/5")
        return TimelineItem(
            kind, event, f"Attunement: {event.get_process_display().lower()}", details
        )
    if kind == "rupture":
        details = _labels(RuptureEvent.Marker.choices, event.markers)
        details.append(f"actor: {event.get_actor_display().lower()}")
        if event.salience:
            details.append(f"salience {event.salience}/5")
        if event.alliance_component != RuptureEvent.Component.UNSPECIFIED:
            details.append(f"{event.get_alliance_component_display().lower()} alliance")
        felt = _labels(RuptureEvent.FeltCue.choices, event.therapist_felt_cues)
        if felt:
            details.append("therapist felt: " + ", ".join(felt).lower())
        item = TimelineItem(
            kind,
            event,
            f"{event.get_rupture_type_display()} rupture",
            details,
        )
        repair = getattr(event, "repair", None)
        if repair is None:
            item.open = True
        else:
            item.interval = time_to_repair(event, repair, session_starts=session_starts)
            where = (
                f"minute {repair.minute}"
                if repair.session_id == event.session_id
                else _session_label(repair.session)
            )
            item.links.append(
                (f"Repaired at {where}", _event_anchor(repair, repair.session))
            )
        return item
    if kind == "repair":
        rupture = event.rupture
        details = [
            f"{RepairEvent.family(s).lower()}: {label.lower()}"
            for s, label in zip(
                event.strategies,
                _labels(RepairEvent.Strategy.choices, event.strategies),
                strict=True,
            )
        ]
        if event.extent:
            details.append(f"extent {event.extent}/5")
        details += [
            o.lower() for o in _labels(RepairEvent.Outcome.choices, event.outcomes)
        ]
        where = (
            f"minute {rupture.minute}"
            if rupture.session_id == event.session_id
            else _session_label(rupture.session)
        )
        item = TimelineItem(
            kind,
            event,
            f"Repair of the {rupture.get_rupture_type_display().lower()} rupture",
            details,
        )
        item.links.append(
            (f"Rupture at {where}", _event_anchor(rupture, rupture.session))
        )
        item.interval = time_to_repair(rupture, event, session_starts=session_starts)
        return item
    if kind == "arousal":
        details = ["at the edge"] if event.at_edge else []
        if event.intensity:
            details.append(f"intensity {event.intensity}/5")
        return TimelineItem(kind, event, event.get_zone_display(), details)
    return TimelineItem(
        kind, event, f"{event.get_kind_display()}: {event.get_value_display().lower()}"
    )


def describe(event, session) -> TimelineItem:
    """How one event reads on the timeline and in announcements ("Withdrawal rupture")."""
    return _item(MODEL_KINDS[type(event)], event, session, [])


def timeline_context(session) -> dict:
    """Context for the session's event timeline: items in order, open ruptures, ratings.

    A fixed number of queries, whatever the number of events (tests pin it)."""
    # One round trip for the five event tables, the client's session starts, the open
    # ruptures and the ratings (ipnb_notes.batch).
    queries = _session_event_querysets(session)
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
    *fetched, session_starts, open_ruptures_list, ratings = batch.fetch(
        *queries.values(),
        starts,
        open_ruptures(session.client, exclude_after=session),
        IntegrationRating.objects.filter(session=session)
        .select_related("indicator")
        .order_by("indicator__sort_order", "indicator__id"),
    )
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
                "markers": _labels(RuptureEvent.Marker.choices, rupture.markers),
                "waiting": time_open(rupture, session, session_starts=session_starts),
                "same_session": rupture.session_id == session.id,
                "url": _event_anchor(rupture, rupture.session),
            }
        )
    return {
        "timeline": items,
        "open_ruptures": open_items,
        "session_ratings": ratings,
        "capture_summary_text": _summary(session, events),
    }
