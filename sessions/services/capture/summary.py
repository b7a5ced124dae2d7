"""The generated plain-text summary of a session's IPNB events."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from sessions.models import AttunementMoment, RuptureEvent, SessionTag
from sessions.services.capture.common import _labels, _session_events

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
