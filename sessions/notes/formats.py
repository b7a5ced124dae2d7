"""The progress note's formats: one `NoteFormat` per format, the only place a format is declared.

Its sections (key, label, the prompt under the field), in the order the editor shows them, and
the section the IPNB summary goes into: read by the note form, the editor, the services
(signature content, revisions, drafts) and static/js/capture.js (json_script
"note-summary-sections"). tests/sessions/test_kinds.py fails when they drift apart.

Formats from DOMAIN.md 5.1. The plan is not a section: every format has it, in its own column.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessions.notes.models import ProgressNote


@dataclass(frozen=True)
class Section:
    key: str  # the key in note.sections and the field section_<key>
    label: str
    prompt: str


@dataclass(frozen=True)
class NoteFormat:
    code: str  # ProgressNote.Format
    label: str
    sections: tuple[str, ...]  # section keys, in order
    summary_section: str  # where "Insert IPNB summary" puts the summary (observations)
    source: str = "DOMAIN.md §5.1"


# Every section of any format, in the editor's order.
SECTIONS: tuple[Section, ...] = (
    Section(
        "subjective",
        "Subjective",
        "The client's own report: symptoms, concerns and what happened since the last "
        "session, in their words.",
    ),
    Section(
        "objective",
        "Objective",
        "What you observed and measured: appearance, affect, behaviour, scores. "
        "Observations of arousal, attunement, rupture and repair fit here.",
    ),
    Section(
        "data",
        "Data",
        "What was said and observed in the session, and the interventions you used.",
    ),
    Section(
        "behavior",
        "Behavior",
        "How the client presented: observable behaviour and reported concerns.",
    ),
    Section(
        "goal", "Goal", "The treatment-plan goal or objective this session worked on."
    ),
    Section("problem", "Problem", "The presenting problem this session addressed."),
    Section("intervention", "Intervention", "The techniques you used, by name."),
    Section("response", "Response", "How the client responded to the interventions."),
    Section(
        "assessment",
        "Assessment",
        "Your clinical interpretation: progress toward goals, barriers, diagnostic "
        "impressions, integration.",
    ),
    Section(
        "narrative",
        "Narrative",
        "The session in your own words: presentation, interventions, the client's "
        "response and progress.",
    ),
)

F = ProgressNote.Format

FORMATS: tuple[NoteFormat, ...] = (
    NoteFormat(F.SOAP, "SOAP", ("subjective", "objective", "assessment"), "objective"),
    NoteFormat(F.DAP, "DAP", ("data", "assessment"), "data"),
    NoteFormat(F.BIRP, "BIRP", ("behavior", "intervention", "response"), "behavior"),
    NoteFormat(F.GIRP, "GIRP", ("goal", "intervention", "response"), "response"),
    NoteFormat(F.PIRP, "PIRP", ("problem", "intervention", "response"), "response"),
    NoteFormat(F.NARRATIVE, "Narrative", ("narrative",), "narrative"),
)

BY_CODE: dict[str, NoteFormat] = {f.code: f for f in FORMATS}
SECTION_BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}


# Derived from the registry (sessions/py).
SECTION_LABELS = {s.key: s.label for s in SECTIONS}

SECTION_PROMPTS = {s.key: s.prompt for s in SECTIONS}

PLAN_PROMPT = (
    "Next steps: interventions, homework, referrals, next session and frequency."
)

FORMAT_SECTIONS: dict[str, list[str]] = {f.code: list(f.sections) for f in FORMATS}

ALL_SECTIONS = list(SECTION_LABELS)

RISK_FIELDS = ["risk_suicidal_ideation", "risk_self_harm", "risk_harm_to_others"]


def summary_sections() -> dict[str, str]:
    """Format code -> the section the IPNB summary goes into (for capture.js)."""
    return {str(f.code): f.summary_section for f in FORMATS}


def problems(formats: tuple[NoteFormat, ...] = FORMATS) -> list[str]:
    """What is missing or clashes among `formats` (empty when they agree with the model)."""
    found: list[str] = []
    codes = [f.code for f in formats]
    if sorted(codes) != sorted(ProgressNote.Format.values):
        found.append("the formats are not exactly ProgressNote.Format's")
    for f in formats:
        if not f.sections:
            found.append(f"format {f.code} has no section")
        for key in f.sections:
            if key not in SECTION_BY_KEY:
                found.append(f"format {f.code}: section {key!r} has no label or prompt")
        if f.summary_section not in f.sections:
            found.append(
                f"format {f.code}: the IPNB summary goes to {f.summary_section!r}, "
                "not one of its sections"
            )
    for section in SECTIONS:
        if not section.label or not section.prompt:
            found.append(f"section {section.key!r} has no label or prompt")
        if not any(section.key in f.sections for f in formats):
            found.append(f"section {section.key!r} belongs to no format")
    return found
