"""The canonical content of a progress note: what a signature covers, its hash and snapshot.

The plan is its own column (note.plan), shared by every format, so "Load last note" and the
home page can read it; the other sections live in the encrypted sections document.
"""

from __future__ import annotations

import json

from ipnb_notes.lib.crypto import content_hash
from sessions.notes.formats import FORMAT_SECTIONS, RISK_FIELDS
from sessions.notes.models import ProgressNote

# Fields of a note that a save may change (goals are handled apart: they are a relation).
CONTENT_FIELDS = [
    "format",
    "sections",
    "plan",
    "interventions",
    "risk_suicidal_ideation",
    "risk_self_harm",
    "risk_harm_to_others",
    "risk_details",
    "next_session_on",
]


def note_snapshot(note: ProgressNote, goal_codes: list[str] | None = None) -> dict:
    """The note's content (the sections of its format, plan, goals, interventions, risk and
    next session), without whose note it is: what a signature covers and a revision keeps."""
    if goal_codes is None:
        goal_codes = [
            str(c) for c in note.goals_addressed.values_list("code", flat=True)
        ]
    keys = FORMAT_SECTIONS.get(note.format, [])
    sections = note.sections or {}
    return {
        "format": note.format,
        "sections": {k: sections.get(k, "") for k in keys},
        "plan": note.plan or "",
        "goals": sorted(goal_codes),
        "interventions": sorted(note.interventions or []),
        "risk": {f: getattr(note, f) or "" for f in RISK_FIELDS},
        "risk_details": note.risk_details or "",
        "next_session_on": note.next_session_on.isoformat()
        if note.next_session_on
        else None,
    }


def canonical_content(note: ProgressNote, goal_codes: list[str] | None = None) -> str:
    """The note's content as canonical JSON: what a signature's content hash covers."""
    payload = {
        "session": str(note.session.code),
        "client": str(note.client.code),
        "author": str(note.author.code),
        **note_snapshot(note, goal_codes),
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def note_content_hash(note: ProgressNote, goal_codes: list[str] | None = None) -> str:
    return content_hash(canonical_content(note, goal_codes))


def note_has_content(note: ProgressNote) -> bool:
    sections = note.sections or {}
    return bool(
        any(
            (sections.get(k) or "").strip()
            for k in FORMAT_SECTIONS.get(note.format, [])
        )
        or (note.plan or "").strip()
    )
