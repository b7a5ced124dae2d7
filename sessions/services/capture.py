"""IPNB capture: events, repairs, ratings, the session timeline and the generated summary.

Contract used by the notes pages (keep these two signatures):
- timeline_context(session) -> dict merged into the session page's template context and read
  by templates/sessions/_session_events.html.
- capture_summary(session) -> str: plain text inserted into the progress note on request.

Rules every write here keeps (docs/DECISIONS.md, "IPNB capture"):
- events go on sessions that were attended, or that are scheduled for today (in progress);
- nothing changes once the session's note is signed or awaits co-signature: the change
  belongs in an addendum;
- minutes run from 0 to the session's length plus MINUTE_MARGIN;
- a client's rupture is repaired once, in its own session (not before its minute) or later;
- every write carries an idempotency key, so a double press or a retry makes one event.
"""

from __future__ import annotations

import bisect
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import audit
from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    IntegrationIndicator,
    IntegrationRating,
    ProgressNote,
    RepairEvent,
    RuptureEvent,
    SessionTag,
    TherapySession,
)

MINUTE_MARGIN = 30

# Event kinds as they appear in URLs, anchors and audit actions.
KIND_MODELS = {
    "attunement": AttunementMoment,
    "rupture": RuptureEvent,
    "repair": RepairEvent,
    "arousal": ArousalObservation,
    "tag": SessionTag,
}
MODEL_KINDS = {model: kind for kind, model in KIND_MODELS.items()}

# One key (or two) per tag: what the capture panel's buttons create.
TAGS = {
    "match": (AttunementMoment, {"process": AttunementMoment.Process.MATCH}),
    "mismatch": (AttunementMoment, {"process": AttunementMoment.Process.MISMATCH}),
    "rupture-withdrawal": (
        RuptureEvent,
        {"rupture_type": RuptureEvent.Type.WITHDRAWAL},
    ),
    "rupture-confrontation": (
        RuptureEvent,
        {"rupture_type": RuptureEvent.Type.CONFRONTATION},
    ),
    "hyper": (ArousalObservation, {"zone": ArousalObservation.Zone.HYPERAROUSAL}),
    "within": (ArousalObservation, {"zone": ArousalObservation.Zone.WITHIN}),
    "hypo": (ArousalObservation, {"zone": ArousalObservation.Zone.HYPOAROUSAL}),
    "protective-part": (SessionTag, {"value": SessionTag.Value.PROTECTIVE_PART}),
    "vulnerable-part": (SessionTag, {"value": SessionTag.Value.VULNERABLE_PART}),
    "compassionate-self": (
        SessionTag,
        {"value": SessionTag.Value.COMPASSIONATE_SELF},
    ),
    "body-sensation": (SessionTag, {"value": SessionTag.Value.BODY_SENSATION}),
    "context": (SessionTag, {"value": SessionTag.Value.CONTEXT}),
}

LOCKED_MESSAGE = "This session's note is signed; record changes in an addendum."
REUSED_KEY = (
    "This form was already used for another session; reload the page and tag again."
)


class CaptureError(Exception):
    """A capture rule was broken; the message is shown beside `field` (or above the form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Rules -------------------------------------------------------------------------------------


def max_minute(session: TherapySession) -> int:
    return session.duration_minutes + MINUTE_MARGIN


def clock_minute(session: TherapySession, now=None) -> int:
    """Minutes since the session's start, clamped to 0..length+margin."""
    now = now or timezone.now()
    elapsed = int((now - session.starts_at).total_seconds() // 60)
    return max(0, min(elapsed, max_minute(session)))


def capture_refusal(session: TherapySession) -> str | None:
    """Why events cannot be recorded on this session now, or None when they can."""
    status = (
        ProgressNote.objects.filter(session=session)
        .values_list("status", flat=True)
        .first()
    )
    if status in (
        ProgressNote.Status.SIGNED,
        ProgressNote.Status.AWAITING_COSIGNATURE,
    ):
        return LOCKED_MESSAGE
    return session_status_refusal(session)


def session_status_refusal(session: TherapySession) -> str | None:
    if session.status == TherapySession.Status.ATTENDED:
        return None
    if (
        session.status == TherapySession.Status.SCHEDULED
        and timezone.localdate(session.starts_at) == timezone.localdate()
    ):
        return None
    if session.status == TherapySession.Status.SCHEDULED:
        return (
            "Events are recorded on attended sessions or on today's scheduled session; "
            "mark this session attended first."
        )
    return f"This session is {session.get_status_display().lower()}: there is nothing to record."


def _check_writable(session: TherapySession) -> None:
    refusal = capture_refusal(session)
    if refusal:
        raise CaptureError(refusal)


def _check_minute(session: TherapySession, minute: int) -> None:
    if minute < 0 or minute > max_minute(session):
        raise CaptureError(
            f"The minute must be between 0 and {max_minute(session)} "
            f"(a {session.duration_minutes}-minute session plus {MINUTE_MARGIN}).",
            field="minute",
        )


def check_markers(rupture_type: str, markers: list[str]) -> None:
    """3RS-informed markers must belong to the rupture's type (OTHER fits both)."""
    for marker in markers:
        marker_type = RuptureEvent.marker_type(marker)
        if marker_type is not None and marker_type != rupture_type:
            label = RuptureEvent.Marker(marker).label
            kind = RuptureEvent.Type(marker_type).label.lower()
            raise CaptureError(
                f"“{label}” is a {kind} marker; this rupture is a "
                f"{RuptureEvent.Type(rupture_type).label.lower()}.",
                field="markers",
            )


def check_repair_order(
    rupture: RuptureEvent, session: TherapySession, minute: int
) -> None:
    """A repair cannot come before its rupture."""
    if rupture.session_id == session.id:
        if minute < rupture.minute:
            raise CaptureError(
                f"The repair cannot come before its rupture (minute {rupture.minute}).",
                field="minute",
            )
    elif rupture.session.starts_at > session.starts_at:
        raise CaptureError(
            "The repair cannot come before its rupture: the rupture was tagged in a later session.",
            field="rupture",
        )


def _audit(action, *, event, session, by, request, changes=None):
    audit.record(
        action,
        actor=by,
        request=request,
        target=event,
        client_code=session.client.code,
        changes={"session": str(session.code), **(changes or {})},
    )


def _rollup(session: TherapySession) -> None:
    from dashboards.services import request_rollup

    request_rollup(session.client)


def _existing(model, key: uuid.UUID | None, session: TherapySession):
    if key is None:
        return None
    return model.objects.filter(idempotency_key=key, session=session).first()


# --- Events ------------------------------------------------------------------------------------


def event_create(
    *,
    session: TherapySession,
    tag: str,
    minute: int | None = None,
    idempotency_key: uuid.UUID | None = None,
    by,
    request=None,
):
    """Record one tag (see TAGS) at `minute` (the clock when None). Returns (event, created)."""
    if tag not in TAGS:
        raise CaptureError("Unknown tag.", field="tag")
    model, values = TAGS[tag]
    existing = _existing(model, idempotency_key, session)
    if existing is not None:
        return existing, False
    _check_writable(session)
    minute = clock_minute(session) if minute is None else minute
    _check_minute(session, minute)
    values = dict(values)
    if model is RuptureEvent:
        values["client"] = session.client
    if model is SessionTag:
        values["kind"] = SessionTag.KIND_OF[values["value"]]
    event = model(
        session=session,
        minute=minute,
        created_by=by,
        idempotency_key=idempotency_key,
        **values,
    )
    try:
        with transaction.atomic():
            event.save()
            _audit(
                f"{MODEL_KINDS[model]}.create",
                event=event,
                session=session,
                by=by,
                request=request,
                changes={"minute": [None, minute], "tag": [None, tag]},
            )
    except IntegrityError:
        # The same key raced in from a second request: the first one won.
        existing = _existing(model, idempotency_key, session)
        if existing is None:
            raise CaptureError(REUSED_KEY) from None
        return existing, False
    _rollup(session)
    return event, True


def open_ruptures(client, *, exclude_after: TherapySession | None = None):
    """The client's ruptures that no repair has resolved, newest first."""
    qs = (
        RuptureEvent.objects.filter(client=client, repair__isnull=True)
        .select_related("session")
        .order_by("-session__starts_at", "-minute", "-created_at")
    )
    if exclude_after is not None:
        qs = qs.filter(session__starts_at__lte=exclude_after.starts_at)
    return qs


def repair_create(
    *,
    session: TherapySession,
    rupture: RuptureEvent | None = None,
    minute: int | None = None,
    strategies: list[str] | None = None,
    extent: int | None = None,
    outcomes: list[str] | None = None,
    note: str = "",
    idempotency_key: uuid.UUID | None = None,
    by,
    request=None,
):
    """Repair `rupture` (the client's most recent open one when None) in `session`.

    Returns (repair, created)."""
    existing = _existing(RepairEvent, idempotency_key, session)
    if existing is not None:
        return existing, False
    _check_writable(session)
    minute = clock_minute(session) if minute is None else minute
    _check_minute(session, minute)
    if rupture is None:
        rupture = open_ruptures(session.client, exclude_after=session).first()
        if rupture is None:
            raise CaptureError("There is no open rupture to repair.", field="rupture")
    if rupture.client_id != session.client_id:
        raise CaptureError(
            "That rupture belongs to another client's record.", field="rupture"
        )
    if RepairEvent.objects.filter(rupture=rupture).exists():
        raise CaptureError("That rupture has already been repaired.", field="rupture")
    check_repair_order(rupture, session, minute)
    repair = RepairEvent(
        session=session,
        rupture=rupture,
        minute=minute,
        strategies=strategies or [],
        extent=extent,
        outcomes=outcomes or [],
        note=note,
        created_by=by,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            repair.save()
            _audit(
                "repair.create",
                event=repair,
                session=session,
                by=by,
                request=request,
                changes={
                    "minute": [None, minute],
                    "rupture": [None, str(rupture.code)],
                },
            )
    except IntegrityError:
        existing = _existing(RepairEvent, idempotency_key, session)
        if existing is not None:
            return existing, False
        if (
            idempotency_key
            and RepairEvent.objects.filter(idempotency_key=idempotency_key).exists()
        ):
            raise CaptureError(REUSED_KEY) from None
        raise CaptureError(
            "That rupture has already been repaired.", field="rupture"
        ) from None
    _rollup(session)
    return repair, True


# Fields an inline edit may change, per kind; everything else is fixed at creation.
EDITABLE = {
    "attunement": ["minute", "process", "cue_channels", "direction", "quality", "note"],
    "rupture": [
        "minute",
        "rupture_type",
        "markers",
        "actor",
        "salience",
        "alliance_component",
        "therapist_felt_cues",
        "note",
    ],
    "repair": ["minute", "strategies", "extent", "outcomes", "note"],
    "arousal": ["minute", "zone", "at_edge", "intensity", "note"],
    "tag": ["minute", "value", "note"],
}


def event_update(*, event, data: dict, by, request=None):
    """Change an event's details (inline edit). Audits the names of the changed fields."""
    session = event.session
    kind = MODEL_KINDS[type(event)]
    _check_writable(session)
    minute = data.get("minute", event.minute)
    _check_minute(session, minute)
    if kind == "rupture":
        check_markers(
            data.get("rupture_type", event.rupture_type),
            data.get("markers", event.markers),
        )
        repair = RepairEvent.objects.filter(rupture=event).first()
        if (
            repair is not None
            and repair.session_id == session.id
            and minute > repair.minute
        ):
            raise CaptureError(
                f"The rupture cannot come after its repair (minute {repair.minute}).",
                field="minute",
            )
    if kind == "repair":
        check_repair_order(event.rupture, session, minute)
    changed = []
    for name in EDITABLE[kind]:
        if name in data and getattr(event, name) != data[name]:
            setattr(event, name, data[name])
            changed.append(name)
    if kind == "tag":
        event.kind = SessionTag.KIND_OF[event.value]
    if not changed:
        return event
    with transaction.atomic():
        event.save()
        _audit(
            f"{kind}.update",
            event=event,
            session=session,
            by=by,
            request=request,
            changes={"fields": sorted(changed)},
        )
    _rollup(session)
    return event


def last_event(session: TherapySession, user):
    """The user's most recently created event of this session, or None."""
    candidates = [
        model.objects.filter(session=session, created_by=user)
        .order_by("-created_at", "-id")
        .first()
        for model in KIND_MODELS.values()
    ]
    candidates = [c for c in candidates if c is not None]
    return max(candidates, key=lambda e: (e.created_at, e.id)) if candidates else None


def event_undo(*, session: TherapySession, by, request=None):
    """Delete the user's most recent event of this session (audited). Returns it, or None."""
    _check_writable(session)
    event = last_event(session, by)
    if event is None:
        return None
    kind = MODEL_KINDS[type(event)]
    with transaction.atomic():
        _audit(
            f"{kind}.undo",
            event=event,
            session=session,
            by=by,
            request=request,
            changes={"minute": [event.minute, None]},
        )
        event.delete()
    _rollup(session)
    return event


def get_event(session: TherapySession, kind: str, code) -> object:
    """An event of this session by kind and code (the session was authorized by the caller)."""
    from django.http import Http404

    model = KIND_MODELS.get(kind)
    if model is None:
        raise Http404
    qs = model.objects.filter(session=session, code=code)
    if model is RepairEvent:
        qs = qs.select_related("rupture__session")
    event = qs.first()
    if event is None:
        raise Http404
    event.session = session
    return event


# --- Time to repair ----------------------------------------------------------------------------


@dataclass
class RepairInterval:
    """How long a rupture stayed open: minutes within one session, or sessions and days."""

    minutes: int | None = None
    sessions: int | None = None
    days: int | None = None

    def __str__(self) -> str:
        if self.minutes is not None:
            return f"{self.minutes} min" if self.minutes != 1 else "1 min"
        sessions = "1 session" if self.sessions == 1 else f"{self.sessions} sessions"
        days = "1 day" if self.days == 1 else f"{self.days} days"
        return f"{sessions}, {days} later"


def _count_sessions_between(starts: list, after, upto) -> int:
    """Sessions starting after `after` and no later than `upto` (starts is sorted)."""
    return bisect.bisect_right(starts, upto) - bisect.bisect_right(starts, after)


def client_session_starts(client) -> list:
    """Start times of the client's sessions that took place or may yet (for counting sessions)."""
    return list(
        TherapySession.objects.filter(
            client=client,
            status__in=[
                TherapySession.Status.ATTENDED,
                TherapySession.Status.SCHEDULED,
            ],
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )


def time_to_repair(
    rupture: RuptureEvent, repair: RepairEvent, *, session_starts: list | None = None
) -> RepairInterval:
    """Derived, never typed: minutes within a session, or sessions and days across sessions.

    Pass `session_starts` (client_session_starts) to avoid a query per call in lists."""
    if rupture.session_id == repair.session_id:
        return RepairInterval(minutes=repair.minute - rupture.minute)
    if session_starts is None:
        session_starts = client_session_starts(rupture.client_id)
    start, end = rupture.session.starts_at, repair.session.starts_at
    return RepairInterval(
        sessions=max(1, _count_sessions_between(session_starts, start, end)),
        days=(timezone.localdate(end) - timezone.localdate(start)).days,
    )


def time_open(
    rupture: RuptureEvent, session: TherapySession, *, session_starts: list
) -> RepairInterval:
    """How long an open rupture has waited, as seen from `session`."""
    if rupture.session_id == session.id:
        return RepairInterval(minutes=None, sessions=0, days=0)
    start, end = rupture.session.starts_at, session.starts_at
    return RepairInterval(
        sessions=_count_sessions_between(session_starts, start, end),
        days=(timezone.localdate(end) - timezone.localdate(start)).days,
    )


# --- The timeline ------------------------------------------------------------------------------


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


def _labels(choices, values) -> list[str]:
    lookup = dict(choices)
    return [lookup.get(v, v) for v in values]


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


def _session_events(session):
    """The session's events by kind: one query per kind, whatever their number."""
    return {
        "attunement": list(AttunementMoment.objects.filter(session=session)),
        "rupture": list(
            RuptureEvent.objects.filter(session=session).select_related(
                "repair__session"
            )
        ),
        "repair": list(
            RepairEvent.objects.filter(session=session).select_related(
                "rupture__session"
            )
        ),
        "arousal": list(ArousalObservation.objects.filter(session=session)),
        "tag": list(SessionTag.objects.filter(session=session)),
    }


def timeline_context(session) -> dict:
    """Context for the session's event timeline: items in order, open ruptures, ratings.

    A fixed number of queries, whatever the number of events (tests pin it)."""
    events = _session_events(session)
    session_starts = client_session_starts(session.client)
    items = []
    for kind, rows in events.items():
        for event in rows:
            event.session = session
            items.append(_item(kind, event, session, session_starts))
    items.sort(key=lambda i: (i.minute, i.event.created_at))
    open_items = []
    for rupture in open_ruptures(session.client, exclude_after=session):
        open_items.append(
            {
                "rupture": rupture,
                "markers": _labels(RuptureEvent.Marker.choices, rupture.markers),
                "waiting": time_open(rupture, session, session_starts=session_starts),
                "same_session": rupture.session_id == session.id,
                "url": _event_anchor(rupture, rupture.session),
            }
        )
    ratings = list(
        IntegrationRating.objects.filter(session=session)
        .select_related("indicator")
        .order_by("indicator__sort_order", "indicator__id")
    )
    return {
        "timeline": items,
        "open_ruptures": open_items,
        "session_ratings": ratings,
        "capture_summary_text": _summary(session, events),
    }


# --- The generated summary ---------------------------------------------------------------------

# How each strategy reads after "repaired ... by".
STRATEGY_PHRASES = {
    "R1_CLARIFY_MISUNDERSTANDING": "clarifying a misunderstanding",
    "R2_CHANGE_TASK_OR_GOAL": "changing the task or goal",
    "R3_ILLUSTRATE_TASK_OR_RATIONALE": "giving the rationale for the task",
    "R4_INVITE_DISCUSSION_OF_RELATIONSHIP": "inviting talk about the relationship",
    "R5_ACKNOWLEDGE_CONTRIBUTION": "acknowledging the therapist's contribution",
    "R6_DISCLOSE_INTERNAL_EXPERIENCE": "disclosing the therapist's experience of the interaction",
    "R7_LINK_TO_PATTERN_IN_THERAPY": "linking it to a pattern in the therapy relationship",
    "R8_LINK_TO_PATTERN_OUTSIDE": "linking it to patterns in other relationships",
    "R9_VALIDATE_DEFENSIVE_POSTURE": "validating the defensive stance",
    "R10_REDIRECT_REFOCUS": "redirecting and refocusing",
}
ZONE_PHRASES = {
    "WITHIN": "within the window of tolerance",
    "HYPER": "in hyperarousal (above the window)",
    "HYPO": "in hypoarousal (below the window)",
}
ZONE_NOUNS = {
    "WITHIN": "within the window",
    "HYPER": "hyperarousal",
    "HYPO": "hypoarousal",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _join(parts: list[str], last: str = "and") -> str:
    parts = list(dict.fromkeys(parts))
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {last} " + parts[-1]


def _rupture_text(rupture) -> str:
    kind = rupture.get_rupture_type_display().lower()
    markers = [m.lower() for m in _labels(RuptureEvent.Marker.choices, rupture.markers)]
    return f"{kind}: {', '.join(markers)}" if markers else kind


def _summary(session, events) -> str:
    parts = []
    ruptures = sorted(events["rupture"], key=lambda r: (r.minute, r.created_at))
    if ruptures:
        text = _plural(len(ruptures), "rupture")
        text += " (" + "; ".join(_rupture_text(r) for r in ruptures) + ")"
        repaired_here = [
            r.repair
            for r in ruptures
            if getattr(r, "repair", None) is not None
            and r.repair.session_id == session.id
        ]
        if repaired_here:
            text += f", {len(repaired_here)} repaired in session"
            phrases = [
                STRATEGY_PHRASES[s]
                for repair in repaired_here
                for s in repair.strategies
            ]
            if phrases:
                text += " by " + _join(phrases)
        still_open = sum(1 for r in ruptures if getattr(r, "repair", None) is None)
        if still_open:
            text += f", {still_open} left open"
        parts.append(text)
    earlier = [r for r in events["repair"] if r.rupture.session_id != session.id]
    if earlier:
        dates = _join(
            [
                f"{timezone.localtime(r.rupture.session.starts_at):%b %-d}"
                for r in sorted(earlier, key=lambda r: r.rupture.session.starts_at)
            ]
        )
        text = f"{_plural(len(earlier), 'earlier rupture')} repaired (from {dates})"
        phrases = [STRATEGY_PHRASES[s] for r in earlier for s in r.strategies]
        if phrases:
            text += " by " + _join(phrases)
        parts.append(text)
    counts = Counter(a.process for a in events["attunement"])
    if counts:
        process_words = {
            "MATCH": ("attunement match", "attunement matches"),
            "MISMATCH": ("mismatch", "mismatches"),
        }
        bits = []
        for process, label in AttunementMoment.Process.choices:
            if counts.get(process):
                one, many = process_words.get(
                    process, (f"{label.lower()} moment", f"{label.lower()} moments")
                )
                n = counts[process]
                bits.append(f"{n} {one if n == 1 else many}")
        parts.append(_join(bits))
    zones = Counter(a.zone for a in events["arousal"])
    if zones:
        total = sum(zones.values())
        zone, count = max(zones.items(), key=lambda kv: (kv[1], kv[0] == "WITHIN"))
        if count == total:
            text = ZONE_PHRASES[zone] + " throughout"
        elif count * 2 > total:
            others = [
                f"{n} {'moment' if n == 1 else 'moments'} of {ZONE_NOUNS[z]}"
                for z, n in sorted(zones.items())
                if z != zone
            ]
            text = f"mostly {ZONE_PHRASES[zone]}, with {_join(others)}"
        else:
            text = "moving between " + _join(
                [ZONE_NOUNS[z] for z in ("HYPER", "WITHIN", "HYPO") if z in zones]
            )
        parts.append(text)
    part_tags = [t for t in events["tag"] if t.kind == SessionTag.Kind.PART]
    triggers = [t for t in events["tag"] if t.kind == SessionTag.Kind.TRIGGER]
    if part_tags:
        parts.append(
            "parts observed: "
            + _join([t.get_value_display().lower() for t in part_tags])
        )
    if triggers:
        parts.append(
            "implicit-memory triggers: "
            + _join([t.get_value_display().lower() for t in triggers])
        )
    if not parts:
        return "No IPNB events were tagged in this session."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def capture_summary(session) -> str:
    """A short, editable, plain-text summary of the session's IPNB events."""
    return _summary(session, _session_events(session))


# --- Integration ratings -----------------------------------------------------------------------


def rating_rows(session: TherapySession) -> list[dict]:
    """Active indicators (and retired ones rated on this session), each with this session's
    value and the value from the client's previous rated session. Three queries."""
    current = {
        r.indicator_id: r
        for r in IntegrationRating.objects.filter(session=session).select_related(
            "indicator"
        )
    }
    previous_session = (
        IntegrationRating.objects.filter(
            session__client_id=session.client_id,
            session__starts_at__lt=session.starts_at,
        )
        .order_by("-session__starts_at")
        .values("session_id")[:1]
    )
    previous = {
        r.indicator_id: r
        for r in IntegrationRating.objects.filter(
            session_id__in=previous_session
        ).select_related("session")
    }
    indicators = list(
        IntegrationIndicator.objects.filter(
            Q(retired_at__isnull=True) | Q(id__in=list(current))
        )
    )
    return [
        {
            "indicator": ind,
            "value": current[ind.id].value if ind.id in current else None,
            "previous": previous.get(ind.id),
        }
        for ind in indicators
    ]


def ratings_save(
    *, session: TherapySession, values: dict[int, int | None], by, request=None
) -> list[str]:
    """Store this session's ratings (indicator id -> value; None clears). Only active
    indicators may get a new value. Returns the codes of the indicators that changed."""
    _check_writable(session)
    indicators = {i.id: i for i in IntegrationIndicator.objects.filter(id__in=values)}
    existing = {
        r.indicator_id: r for r in IntegrationRating.objects.filter(session=session)
    }
    changed = []
    with transaction.atomic():
        for indicator_id, value in values.items():
            indicator = indicators[indicator_id]
            rating = existing.get(indicator_id)
            if value is None:
                if rating is not None:
                    rating.delete()
                    changed.append(indicator.code)
                continue
            if not indicator.scale_min <= value <= indicator.scale_max:
                raise CaptureError(
                    f"{indicator.label}: choose a value from {indicator.scale_min} to {indicator.scale_max}.",
                    field=f"indicator_{indicator.id}",
                )
            if rating is None:
                if not indicator.is_active:
                    raise CaptureError(
                        f"{indicator.label} is retired and is not rated any more.",
                        field=f"indicator_{indicator.id}",
                    )
                IntegrationRating.objects.create(
                    session=session, indicator=indicator, value=value, rated_by=by
                )
                changed.append(indicator.code)
            elif rating.value != value:
                rating.value = value
                rating.rated_by = by
                rating.save(update_fields=["value", "rated_by", "updated_at"])
                changed.append(indicator.code)
        if changed:
            audit.record(
                "ratings.update",
                actor=by,
                request=request,
                target=session,
                client_code=session.client.code,
                changes={"indicators": sorted(changed)},
            )
    if changed:
        _rollup(session)
    return changed


# --- The indicator set -------------------------------------------------------------------------

INDICATOR_TEXT_FIELDS = ["label", "description", "min_label", "max_label", "sort_order"]


def indicator_create(*, data: dict, by, request=None) -> IntegrationIndicator:
    """Add an indicator to the practice's set (practice admins)."""
    if IntegrationIndicator.objects.filter(code=data["code"]).exists():
        raise CaptureError("An indicator with this code already exists.", field="code")
    with transaction.atomic():
        indicator = IntegrationIndicator.objects.create(**data)
        audit.record(
            "indicator.create",
            actor=by,
            request=request,
            target=indicator,
            target_code=indicator.code,
            changes={k: [None, v] for k, v in data.items()},
        )
    return indicator


def indicator_update(
    *, indicator: IntegrationIndicator, data: dict, by, request=None
) -> IntegrationIndicator:
    """Rename or re-describe an indicator; its ratings stay and show the new label."""
    changes = {}
    for name in INDICATOR_TEXT_FIELDS:
        if name in data and getattr(indicator, name) != data[name]:
            changes[name] = [getattr(indicator, name), data[name]]
            setattr(indicator, name, data[name])
    if changes:
        with transaction.atomic():
            indicator.save(update_fields=list(changes))
            audit.record(
                "indicator.update",
                actor=by,
                request=request,
                target=indicator,
                target_code=indicator.code,
                changes=changes,
            )
    return indicator


def indicator_set_retired(
    *, indicator: IntegrationIndicator, retired: bool, by, request=None
) -> IntegrationIndicator:
    """Retire (no new ratings; history kept) or reinstate an indicator."""
    if retired == (not indicator.is_active):
        return indicator
    old = indicator.retired_at
    indicator.retired_at = timezone.now() if retired else None
    with transaction.atomic():
        indicator.save(update_fields=["retired_at"])
        audit.record(
            "indicator.retire" if retired else "indicator.reinstate",
            actor=by,
            request=request,
            target=indicator,
            target_code=indicator.code,
            changes={
                "retired_at": [
                    old.isoformat() if old else None,
                    indicator.retired_at.isoformat() if indicator.retired_at else None,
                ]
            },
        )
    return indicator
