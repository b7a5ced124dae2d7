"""The kinds of in-session event: one `EventKind` per kind, the only place a kind is declared.

Everything that must agree about a kind is read from here: the model that stores it, the form
that edits it and the fields that may change, the capture panel's buttons and keys (the panel's
script receives the key map through json_script), its line on the timeline, its sentence in
the IPNB summary, the trajectory CSV that lists it, and whether a supervisor's comment may be
anchored to it. tests/sessions/test_kinds.py fails when a kind is incomplete.

Vocabulary from DOMAIN.md (codes and labels as given there). Every kind here is recorded by
the clinician: a clinician-rated concept, not a validated instrument.

Callables that belong to a layer above the models (forms, the services' edit rules) are named
by dotted path and imported when first used, so that this module imports only the models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.module_loading import import_string

from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    CoRegulationMoment,
    IntegrationLink,
    RepairEvent,
    RuptureEvent,
    SessionTag,
)

# --- Wording shared by timeline lines and summary sentences ------------------------------------


def labels(choices, values) -> list[str]:
    """Each value's label: `choices` as a model declares them, or a dict from label_map."""
    lookup = choices if isinstance(choices, dict) else dict(choices)
    return [lookup.get(v, v) for v in values]


def label_map(field_choices) -> dict[str, str]:
    """value -> label of a model's choices (its TextChoices), built once: a line reads a
    label from it as get_FOO_display would, without that method's work per call."""
    return dict(field_choices.choices)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def join(parts: list[str], last: str = "and") -> str:
    parts = list(dict.fromkeys(parts))
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {last} " + parts[-1]


# How each repair strategy reads after "repaired ... by" (DOMAIN.md 1.5).
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


# Each kind's labels, from its model's choices (read once, not per event).
_CUE = label_map(AttunementMoment.Cue)
_DIRECTION = label_map(AttunementMoment.Direction)
_PROCESS = label_map(AttunementMoment.Process)
_MARKER = label_map(RuptureEvent.Marker)
_ACTOR = label_map(RuptureEvent.Actor)
_COMPONENT = label_map(RuptureEvent.Component)
_FELT_CUE = label_map(RuptureEvent.FeltCue)
_RUPTURE_TYPE = label_map(RuptureEvent.Type)
_STRATEGY = label_map(RepairEvent.Strategy)
_OUTCOME = label_map(RepairEvent.Outcome)
_ZONE = label_map(ArousalObservation.Zone)
_ACT = label_map(CoRegulationMoment.Act)
_RESPONSE = label_map(CoRegulationMoment.Response)
_LINK = label_map(IntegrationLink.Link)
_TAG_KIND = label_map(SessionTag.Kind)
_TAG_VALUE = label_map(SessionTag.Value)


def rupture_type_label(rupture) -> str:
    """A rupture's type as its model labels it ("Withdrawal"), for an instance or a row."""
    return _RUPTURE_TYPE.get(rupture.rupture_type, rupture.rupture_type)


def _tag_value_label(tag) -> str:
    return _TAG_VALUE.get(tag.value, tag.value)


# --- The parts of a kind ---------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    """One button of the capture panel: it creates an event of its kind with `values`."""

    tag: str  # what the button posts (unique across kinds)
    label: str  # the button's text
    key: str  # its key: alone, or after the kind's prefix key
    values: Mapping[str, Any]
    short: str = ""  # how the key reads in the prompt after the prefix ("withdrawal")


@dataclass(frozen=True)
class Action:
    """A key that presses a form of the panel rather than a tag button (repair the latest)."""

    key: str
    form_id: str
    help: str


@dataclass
class Line:
    """How one event reads on the session timeline."""

    title: str
    details: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    interval: Any = None
    open: bool = False


@dataclass(frozen=True)
class LineContext:
    """What a timeline line may need beyond its event (given by the timeline service)."""

    session: Any
    time_to_repair: Callable  # (rupture, repair) -> RepairInterval
    anchor: Callable  # (event) -> URL of the event on its session's page
    session_label: Callable  # (session) -> "session of Mar 3, 2026"


@dataclass(frozen=True)
class EventKind:
    name: str  # in URLs, anchors, audit actions ("rupture.create")
    model: type
    form: str  # dotted path of the inline edit form
    editable: tuple[
        str, ...
    ]  # fields an inline edit may change; the rest is fixed at creation
    description: str
    source: str  # where DOMAIN.md defines the vocabulary
    line: Callable[[Any, LineContext], Line]
    summary: Callable[
        [Any, list], list[str]
    ]  # (session, this kind's events) -> sentences
    summary_order: int
    panel_group: str = ""  # the legend of its buttons on the capture panel
    buttons: tuple[Button, ...] = ()
    prefix: str = (
        ""  # first key of its two-key sequences ("" when each button has one key)
    )
    prompt: str = ""  # what the prefix announces ("Rupture")
    action: Action | None = None
    csv_chart: str = ""  # the trajectory CSV that lists it ("" when none)
    csv_columns: tuple[str, ...] = ()  # that CSV's columns
    anchor_label: str = ""  # set when a supervisor's comment may be anchored to it
    related: tuple[str, ...] = ()  # select_related when its events are read
    fill: Callable[[Any], None] | None = None  # derived fields, set before every save
    edit_check: str = (
        ""  # dotted path of a rule an inline edit must pass: (event, data)
    )
    edit_template: str = "sessions/kinds/_edit_fields.html"
    clinician_rated: bool = True

    @cached_property
    def form_class(self):
        return import_string(self.form)

    def check_edit(self, event, data: dict) -> None:
        if self.edit_check:
            import_string(self.edit_check)(event, data)

    def keys_of(self, button: Button) -> str:
        """The keys as shown on the button ("R W")."""
        return f"{self.prefix} {button.key}" if self.prefix else button.key

    def sequence_text(self) -> str:
        parts = [f"{b.key} {b.short or b.label.lower()}" for b in self.buttons]
        return join(parts, "or") if len(parts) == 2 else ", ".join(parts)


# --- Timeline lines and summary sentences, per kind ------------------------------------------


def _attunement_line(event, ctx) -> Line:
    details = labels(_CUE, event.cue_channels)
    details.append(_DIRECTION.get(event.direction, event.direction))
    if event.quality:
        details.append(f"quality {event.quality}/5")
    return Line(
        f"Attunement: {_PROCESS.get(event.process, event.process).lower()}", details
    )


def _attunement_summary(session, events) -> list[str]:
    counts = Counter(a.process for a in events)
    if not counts:
        return []
    words = {
        "MATCH": ("attunement match", "attunement matches"),
        "MISMATCH": ("mismatch", "mismatches"),
    }
    bits = []
    for process, label in AttunementMoment.Process.choices:
        if counts.get(process):
            one, many = words.get(
                process, (f"{label.lower()} moment", f"{label.lower()} moments")
            )
            n = counts[process]
            bits.append(f"{n} {one if n == 1 else many}")
    return [join(bits)]


def _rupture_line(event, ctx) -> Line:
    details = labels(_MARKER, event.markers)
    details.append(f"actor: {_ACTOR.get(event.actor, event.actor).lower()}")
    if event.salience:
        details.append(f"salience {event.salience}/5")
    if event.alliance_component != RuptureEvent.Component.UNSPECIFIED:
        component = event.alliance_component
        details.append(f"{_COMPONENT.get(component, component).lower()} alliance")
    felt = labels(_FELT_CUE, event.therapist_felt_cues)
    if felt:
        details.append("therapist felt: " + ", ".join(felt).lower())
    line = Line(f"{rupture_type_label(event)} rupture", details)
    repair = getattr(event, "repair", None)
    if repair is None:
        line.open = True
    else:
        line.interval = ctx.time_to_repair(event, repair)
        where = (
            f"minute {repair.minute}"
            if repair.session_id == event.session_id
            else ctx.session_label(repair.session)
        )
        line.links.append((f"Repaired at {where}", ctx.anchor(repair)))
    return line


def _rupture_text(rupture) -> str:
    kind = rupture_type_label(rupture).lower()
    markers = [m.lower() for m in labels(_MARKER, rupture.markers)]
    return f"{kind}: {', '.join(markers)}" if markers else kind


def _rupture_summary(session, events) -> list[str]:
    ruptures = sorted(events, key=lambda r: (r.minute, r.created_at))
    if not ruptures:
        return []
    text = plural(len(ruptures), "rupture")
    text += " (" + "; ".join(_rupture_text(r) for r in ruptures) + ")"
    repaired_here = [
        r.repair
        for r in ruptures
        if getattr(r, "repair", None) is not None and r.repair.session_id == session.id
    ]
    if repaired_here:
        text += f", {len(repaired_here)} repaired in session"
        phrases = [STRATEGY_PHRASES[s] for rp in repaired_here for s in rp.strategies]
        if phrases:
            text += " by " + join(phrases)
    still_open = sum(1 for r in ruptures if getattr(r, "repair", None) is None)
    if still_open:
        text += f", {still_open} left open"
    return [text]


def _repair_line(event, ctx) -> Line:
    rupture = event.rupture
    details = [
        f"{RepairEvent.family(s).lower()}: {label.lower()}"
        for s, label in zip(
            event.strategies,
            labels(_STRATEGY, event.strategies),
            strict=True,
        )
    ]
    if event.extent:
        details.append(f"extent {event.extent}/5")
    details += [o.lower() for o in labels(_OUTCOME, event.outcomes)]
    where = (
        f"minute {rupture.minute}"
        if rupture.session_id == event.session_id
        else ctx.session_label(rupture.session)
    )
    return Line(
        f"Repair of the {rupture_type_label(rupture).lower()} rupture",
        details,
        links=[(f"Rupture at {where}", ctx.anchor(rupture))],
        interval=ctx.time_to_repair(rupture, event),
    )


def _repair_summary(session, events) -> list[str]:
    """Repairs made here of ruptures of earlier sessions (same-session ones read with them)."""
    from django.utils import timezone

    earlier = [r for r in events if r.rupture.session_id != session.id]
    if not earlier:
        return []
    dates = join(
        [
            f"{timezone.localtime(r.rupture.session.starts_at):%b %-d}"
            for r in sorted(earlier, key=lambda r: r.rupture.session.starts_at)
        ]
    )
    text = f"{plural(len(earlier), 'earlier rupture')} repaired (from {dates})"
    phrases = [STRATEGY_PHRASES[s] for r in earlier for s in r.strategies]
    if phrases:
        text += " by " + join(phrases)
    return [text]


def _arousal_line(event, ctx) -> Line:
    details = ["at the edge"] if event.at_edge else []
    if event.intensity:
        details.append(f"intensity {event.intensity}/5")
    whose = (
        "Therapist's own arousal"
        if event.whose == ArousalObservation.Whose.THERAPIST
        else "Client"
    )
    return Line(f"{whose}: {_ZONE.get(event.zone, event.zone).lower()}", details)


def _arousal_summary(session, events) -> list[str]:
    client = [a for a in events if a.whose != ArousalObservation.Whose.THERAPIST]
    therapist = [a for a in events if a.whose == ArousalObservation.Whose.THERAPIST]
    sentences = _zones_sentence(client)
    own = _zones_sentence(therapist)
    if own:
        sentences.append("the therapist's own arousal " + own[0])
    return sentences


def _zones_sentence(events) -> list[str]:
    zones = Counter(a.zone for a in events)
    if not zones:
        return []
    total = sum(zones.values())
    zone, count = max(zones.items(), key=lambda kv: (kv[1], kv[0] == "WITHIN"))
    if count == total:
        return [ZONE_PHRASES[zone] + " throughout"]
    if count * 2 > total:
        others = [
            f"{n} {'moment' if n == 1 else 'moments'} of {ZONE_NOUNS[z]}"
            for z, n in sorted(zones.items())
            if z != zone
        ]
        return [f"mostly {ZONE_PHRASES[zone]}, with {join(others)}"]
    return [
        "moving between "
        + join([ZONE_NOUNS[z] for z in ("HYPER", "WITHIN", "HYPO") if z in zones])
    ]


def _coregulation_line(event, ctx) -> Line:
    details = [a.lower() for a in labels(_ACT, event.acts)]
    response = event.client_response
    details.append(f"client {_RESPONSE.get(response, response).lower()}")
    return Line("Co-regulation", details)


# How each client response reads after "co-regulation moments, ..." in the summary.
RESPONSE_PHRASES = {
    "SETTLED": "the client settled",
    "NO_CHANGE": "no change",
    "ESCALATED": "the client escalated",
}


def _coregulation_summary(session, events) -> list[str]:
    if not events:
        return []
    counts = Counter(e.client_response for e in events)
    text = plural(len(events), "co-regulation moment")
    outcomes = [
        f"{RESPONSE_PHRASES[code]} {'once' if counts[code] == 1 else f'{counts[code]} times'}"
        if len(events) > 1
        else RESPONSE_PHRASES[code]
        for code, _ in CoRegulationMoment.Response.choices
        if counts.get(code)
    ]
    text += " (" + join(outcomes) + ")"
    acts = [
        a.lower()
        for a in labels(
            _ACT,
            [a for e in sorted(events, key=lambda e: e.minute) for a in e.acts],
        )
    ]
    if acts:
        text += " through " + join(acts)
    return [text]


def _link_line(event, ctx) -> Line:
    return Line(f"Integration link: {_LINK.get(event.link, event.link).lower()}")


def _link_summary(session, events) -> list[str]:
    if not events:
        return []
    counts = Counter(e.link for e in events)
    bits = [
        f"{label.lower()}{f' ({counts[code]})' if counts[code] > 1 else ''}"
        for code, label in IntegrationLink.Link.choices
        if counts.get(code)
    ]
    return [f"{plural(len(events), 'integration link')}: {join(bits)}"]


def _tag_line(event, ctx) -> Line:
    return Line(
        f"{_TAG_KIND.get(event.kind, event.kind)}: {_tag_value_label(event).lower()}"
    )


def _tag_summary(session, events) -> list[str]:
    parts = []
    part_tags = [t for t in events if t.kind == SessionTag.Kind.PART]
    triggers = [t for t in events if t.kind == SessionTag.Kind.TRIGGER]
    if part_tags:
        parts.append(
            "parts observed: " + join([_tag_value_label(t).lower() for t in part_tags])
        )
    if triggers:
        parts.append(
            "implicit-memory triggers: "
            + join([_tag_value_label(t).lower() for t in triggers])
        )
    return parts


def _rupture_fill(event) -> None:
    # Denormalised: open ruptures are listed per client across sessions.
    if event.client_id is None:
        event.client = event.session.client


def _tag_fill(event) -> None:
    event.kind = SessionTag.KIND_OF[event.value]


# --- The registry ----------------------------------------------------------------------------

KINDS: tuple[EventKind, ...] = (
    EventKind(
        name="attunement",
        model=AttunementMoment,
        form="sessions.capture.forms.AttunementForm",
        editable=("minute", "process", "cue_channels", "direction", "quality", "note"),
        description="A moment of dyadic attunement or misattunement, with the cue channels "
        "it was read through.",
        source="DOMAIN.md §3 (attunement and right-brain cues)",
        line=_attunement_line,
        summary=_attunement_summary,
        summary_order=30,
        panel_group="Attunement",
        buttons=(
            Button("match", "Match", "A", {"process": AttunementMoment.Process.MATCH}),
            Button(
                "mismatch",
                "Mismatch",
                "M",
                {"process": AttunementMoment.Process.MISMATCH},
            ),
        ),
        csv_chart="attunement",
        csv_columns=("matches", "mismatches", "interactive_repairs", "repair_rate"),
        anchor_label="An attunement moment",
    ),
    EventKind(
        name="rupture",
        model=RuptureEvent,
        form="sessions.capture.forms.RuptureForm",
        editable=(
            "minute",
            "rupture_type",
            "markers",
            "actor",
            "salience",
            "alliance_component",
            "therapist_felt_cues",
            "note",
        ),
        description="A deterioration in the alliance, tagged by the clinician with 3RS "
        "marker names (3RS-informed, not 3RS-coded); open until repaired.",
        source="DOMAIN.md §1.1-1.4 (3RS rupture markers)",
        line=_rupture_line,
        summary=_rupture_summary,
        summary_order=10,
        panel_group="Rupture (3RS-informed)",
        buttons=(
            Button(
                "rupture-withdrawal",
                "Withdrawal",
                "W",
                {"rupture_type": RuptureEvent.Type.WITHDRAWAL},
            ),
            Button(
                "rupture-confrontation",
                "Confrontation",
                "C",
                {"rupture_type": RuptureEvent.Type.CONFRONTATION},
            ),
        ),
        prefix="R",
        prompt="Rupture",
        csv_chart="ruptures",
        csv_columns=(
            "rupture_date",
            "type",
            "repaired_on",
            "hours_to_repair",
            "sessions_later",
            "open",
        ),
        anchor_label="A rupture",
        related=("repair__session",),
        fill=_rupture_fill,
        edit_check="sessions.capture.services.rules.check_rupture_edit",
        edit_template="sessions/kinds/_edit_rupture.html",
    ),
    EventKind(
        name="repair",
        model=RepairEvent,
        form="sessions.capture.forms.RepairForm",
        editable=("minute", "strategies", "extent", "outcomes", "note"),
        description="The repair of one rupture of the same client, in its session or a "
        "later one, with the resolution strategies used.",
        source="DOMAIN.md §1.5 (resolution strategies)",
        line=_repair_line,
        summary=_repair_summary,
        summary_order=20,
        action=Action("P", "repair-latest-form", "Repair the most recent open rupture"),
        anchor_label="A repair",
        related=("rupture__session",),
        edit_check="sessions.capture.services.rules.check_repair_edit",
        edit_template="sessions/kinds/_edit_repair.html",
    ),
    EventKind(
        name="arousal",
        model=ArousalObservation,
        form="sessions.capture.forms.ArousalForm",
        editable=("minute", "zone", "whose", "at_edge", "intensity", "note"),
        description="Where arousal sat against the window of tolerance: the client's "
        "(the default) or the therapist's own, so that co-regulation shows.",
        source="DOMAIN.md §2.4 (window of tolerance); whose arousal: not in DOMAIN.md, "
        "plain wording",
        line=_arousal_line,
        summary=_arousal_summary,
        summary_order=40,
        panel_group="Window of tolerance",
        buttons=(
            Button(
                "hyper",
                "Hyperarousal",
                "H",
                {"zone": ArousalObservation.Zone.HYPERAROUSAL},
                "hyperarousal",
            ),
            Button(
                "within",
                "Within the window",
                "I",
                {"zone": ArousalObservation.Zone.WITHIN},
                "within",
            ),
            Button(
                "hypo",
                "Hypoarousal",
                "O",
                {"zone": ArousalObservation.Zone.HYPOAROUSAL},
                "hypoarousal",
            ),
            # The therapist's own arousal: S (self) within, A above, B below the window.
            Button(
                "therapist-within",
                "Therapist within the window",
                "S",
                {
                    "zone": ArousalObservation.Zone.WITHIN,
                    "whose": ArousalObservation.Whose.THERAPIST,
                },
                "therapist within",
            ),
            Button(
                "therapist-hyper",
                "Therapist above the window",
                "A",
                {
                    "zone": ArousalObservation.Zone.HYPERAROUSAL,
                    "whose": ArousalObservation.Whose.THERAPIST,
                },
                "therapist above",
            ),
            Button(
                "therapist-hypo",
                "Therapist below the window",
                "B",
                {
                    "zone": ArousalObservation.Zone.HYPOAROUSAL,
                    "whose": ArousalObservation.Whose.THERAPIST,
                },
                "therapist below",
            ),
        ),
        prefix="W",
        prompt="Window of tolerance",
        csv_chart="arousal",
        csv_columns=("observations", "hyper_share", "within_share", "hypo_share"),
        anchor_label="An arousal observation",
    ),
    EventKind(
        name="tag",
        model=SessionTag,
        form="sessions.capture.forms.SessionTagForm",
        editable=("minute", "value", "note"),
        description="A part observed or an implicit-memory trigger.",
        source="DOMAIN.md §2 (implicit memory, parts)",
        line=_tag_line,
        summary=_tag_summary,
        summary_order=50,
        panel_group="Parts and triggers",
        buttons=(
            Button(
                "protective-part",
                "Protective part",
                "P",
                {"value": SessionTag.Value.PROTECTIVE_PART},
                "protective",
            ),
            Button(
                "vulnerable-part",
                "Vulnerable part",
                "V",
                {"value": SessionTag.Value.VULNERABLE_PART},
                "vulnerable",
            ),
            Button(
                "compassionate-self",
                "Compassionate self",
                "C",
                {"value": SessionTag.Value.COMPASSIONATE_SELF},
            ),
            Button(
                "body-sensation",
                "Trigger: body sensation",
                "B",
                {"value": SessionTag.Value.BODY_SENSATION},
                "body sensation",
            ),
            Button(
                "context",
                "Trigger: context",
                "X",
                {"value": SessionTag.Value.CONTEXT},
                "context",
            ),
        ),
        prefix="T",
        prompt="Part or trigger",
        fill=_tag_fill,
    ),
    EventKind(
        name="coregulation",
        model=CoRegulationMoment,
        form="sessions.capture.forms.CoRegulationForm",
        editable=("minute", "acts", "client_response", "note"),
        description="The therapist acts to help the client's nervous system regulate "
        "(pace, tone, presence, breath, naming, grounding), and how the client responds.",
        source="Not in DOMAIN.md (nearest: §3.2, Tronick's mutual regulation); acts and "
        "responses in the seed article's plain words, not a validated taxonomy",
        line=_coregulation_line,
        summary=_coregulation_summary,
        summary_order=45,
        panel_group="Co-regulation (client's response)",
        buttons=(
            Button(
                "coreg-settled",
                "Settled",
                "S",
                {"client_response": CoRegulationMoment.Response.SETTLED},
                "settled",
            ),
            Button(
                "coreg-no-change",
                "No change",
                "N",
                {"client_response": CoRegulationMoment.Response.NO_CHANGE},
                "no change",
            ),
            Button(
                "coreg-escalated",
                "Escalated",
                "X",
                {"client_response": CoRegulationMoment.Response.ESCALATED},
                "escalated",
            ),
        ),
        prefix="C",
        prompt="Co-regulation",
        anchor_label="A co-regulation moment",
    ),
    EventKind(
        name="link",
        model=IntegrationLink,
        form="sessions.capture.forms.IntegrationLinkForm",
        editable=("minute", "link", "note"),
        description="The client links thoughts with feelings, body sensations with "
        "meaning, past experience with present understanding, or the narrative.",
        source="Not in DOMAIN.md as moments (§2.3 names narrative integration as a "
        "domain); codes from the seed article, not a validated taxonomy",
        line=_link_line,
        summary=_link_summary,
        summary_order=47,
        panel_group="Integration links",
        buttons=(
            Button(
                "link-thought-feeling",
                "Thought with feeling",
                "F",
                {"link": IntegrationLink.Link.THOUGHT_FEELING},
                "thought with feeling",
            ),
            Button(
                "link-body-meaning",
                "Body with meaning",
                "B",
                {"link": IntegrationLink.Link.BODY_MEANING},
                "body with meaning",
            ),
            Button(
                "link-past-present",
                "Past with present",
                "P",
                {"link": IntegrationLink.Link.PAST_PRESENT},
                "past with present",
            ),
            Button(
                "link-narrative",
                "Narrative",
                "N",
                {"link": IntegrationLink.Link.NARRATIVE},
                "narrative",
            ),
        ),
        prefix="L",
        prompt="Integration link",
        anchor_label="An integration link",
    ),
)

BY_NAME: dict[str, EventKind] = {k.name: k for k in KINDS}
BY_MODEL: dict[type, EventKind] = {k.model: k for k in KINDS}
# Every button's tag: (kind, button).
BUTTONS: dict[str, tuple[EventKind, Button]] = {
    b.tag: (k, b) for k in KINDS for b in k.buttons
}

# Keys of the panel itself (not of a kind): a kind's key may not take them.
PANEL_CONTROLS = (
    ("E", "Edit the last tag's details"),
    ("U", "Undo your last tag"),
    ("?", "Show or hide this help"),
    ("Esc", "Cancel a two-key shortcut or an edit"),
)


def kind_of(event) -> EventKind:
    """The kind of an event: a model instance, or a row that carries its model's _meta."""
    return BY_MODEL[event._meta.model]


def shortcuts() -> list[tuple[str, str]]:
    """The panel's help table: (keys, action)."""
    rows = []
    for kind in KINDS:
        if kind.prefix:
            rows.append((kind.prefix, f"{kind.prompt}, then {kind.sequence_text()}"))
        else:
            rows += [
                (b.key, f"{kind.panel_group} {b.label.lower()}") for b in kind.buttons
            ]
        if kind.action:
            rows.append((kind.action.key, kind.action.help))
    return rows + list(PANEL_CONTROLS)


def tag_buttons() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The panel's button groups: (legend, [(tag, label, keys)])."""
    return [
        (k.panel_group, [(b.tag, b.label, k.keys_of(b)) for b in k.buttons])
        for k in KINDS
        if k.buttons
    ]


def key_map() -> dict:
    """What static/js/capture.js reads (json_script "capture-keys"): lower-case keys."""
    single, sequences, actions = {}, {}, {}
    for kind in KINDS:
        if kind.prefix:
            sequences[kind.prefix.lower()] = {
                "label": f"{kind.prompt}: {kind.sequence_text()} (Esc cancels)",
                "keys": {b.key.lower(): b.tag for b in kind.buttons},
            }
        else:
            single.update({b.key.lower(): b.tag for b in kind.buttons})
        if kind.action:
            actions[kind.action.key.lower()] = kind.action.form_id
    return {"single": single, "sequences": sequences, "actions": actions}


def anchor_choices() -> list[tuple[str, str]]:
    """What a supervisor's comment may be anchored to ("" is the note as a whole)."""
    return [("", "The note as a whole")] + [
        (k.name, k.anchor_label) for k in KINDS if k.anchor_label
    ]


def anchor_models() -> dict[str, type]:
    return {k.name: k.model for k in KINDS if k.anchor_label}


def csv_kind(chart: str) -> EventKind | None:
    return next((k for k in KINDS if k.csv_chart == chart), None)


# --- Completeness: what every kind must declare ------------------------------------------------


def problems(registry: tuple[EventKind, ...] = KINDS) -> list[str]:
    """What is missing or clashes in `registry` (empty when every kind is complete).

    Run by tests/sessions/test_kinds.py and by `manage.py check` (sessions.apps)."""
    from django.apps import apps
    from django.forms import ModelForm

    from sessions.capture.models import SessionEvent

    found: list[str] = []
    names = [k.name for k in registry]
    if len(set(names)) != len(names):
        found.append("two kinds share a name")
    models = {k.model for k in registry}
    for model in apps.get_app_config("therapy_sessions").get_models():
        if issubclass(model, SessionEvent) and model not in models:
            found.append(f"{model.__name__} is a session event with no kind")
    tags: list[str] = []
    first: dict[str, str] = {key.upper(): "the panel" for key, _ in PANEL_CONTROLS}
    for kind in registry:
        who = f"kind {kind.name!r}"
        if not kind.description or not kind.source:
            found.append(f"{who} has no description or source")
        if not callable(kind.line):
            found.append(f"{who} has no timeline line")
        if not callable(kind.summary):
            found.append(f"{who} has no summary sentence")
        try:
            form = import_string(kind.form) if kind.form else None
        except ImportError:
            form = None
        if form is None or not issubclass(form, ModelForm):
            found.append(f"{who} has no edit form")
        else:
            if form._meta.model is not kind.model:
                found.append(f"{who}: its form edits {form._meta.model.__name__}")
            missing = [f for f in kind.editable if f not in form.base_fields]
            if missing:
                found.append(f"{who}: editable {', '.join(missing)} not on its form")
            extra = [f for f in form.base_fields if f not in kind.editable]
            if extra:
                found.append(
                    f"{who}: its form changes {', '.join(extra)}, not editable"
                )
        model_fields = {f.name for f in kind.model._meta.get_fields()}
        for name in kind.editable:
            if name not in model_fields:
                found.append(f"{who}: editable {name} is not a field of its model")
        if kind.edit_check:
            try:
                import_string(kind.edit_check)
            except ImportError:
                found.append(f"{who}: its edit rule {kind.edit_check} does not exist")
        if kind.buttons and not kind.panel_group:
            found.append(f"{who} has buttons but no panel group")
        if kind.prefix and not kind.prompt:
            found.append(f"{who} has a prefix key but no prompt")
        if bool(kind.csv_chart) != bool(kind.csv_columns):
            found.append(f"{who}: a CSV needs both its chart and its columns")
        for button in kind.buttons:
            tags.append(button.tag)
            for field_name, value in button.values.items():
                choices = kind.model._meta.get_field(field_name).choices
                if choices and value not in dict(choices):
                    found.append(f"{who}: button {button.tag!r} sets {value!r}")
        keys = [kind.prefix] if kind.prefix else [b.key for b in kind.buttons]
        if kind.action:
            keys.append(kind.action.key)
        for key in keys:
            key = key.upper()
            if len(key) != 1:
                found.append(f"{who}: key {key!r} is not one key")
            if key in first:
                found.append(f"{who}: key {key} is already {first[key]}'s")
            first[key] = kind.name
        if kind.prefix:
            second = [b.key.upper() for b in kind.buttons]
            if len(set(second)) != len(second):
                found.append(f"{who}: two buttons share a key after {kind.prefix}")
    if len(set(tags)) != len(tags):
        found.append("two buttons share a tag")
    return found
