"""The pre-sign edit history of progress notes (REL-06).

Every save of a draft or returned note whose content changed (autosave, explicit save, or the
save made when signing) appends one NoteRevision in the same transaction as the save: the
content before and after, encrypted, who saved it, when and how. A save that changes nothing
appends nothing, so an autosave that fires on an unchanged form adds no row. The rows are
append-only in the database and stay after signing. The view that shows one revision's text
records the read (audit.read).
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from sessions.models import NoteRevision, ProgressNote
from sessions.notes.formats import FORMAT_SECTIONS, SECTION_LABELS
from sessions.notes.models import INTERVENTIONS

_INTERVENTION_LABELS = dict(INTERVENTIONS)


def snapshot_size(snapshot: dict) -> int:
    """Characters of free text in a snapshot: the sections, the plan and the risk details."""
    if not snapshot:
        return 0
    texts = [
        *(snapshot.get("sections") or {}).values(),
        snapshot.get("plan") or "",
        snapshot.get("risk_details") or "",
    ]
    return sum(len(t) for t in texts)


def revision_append(
    *,
    note: ProgressNote,
    by: User,
    kind: str,
    version: int,
    previous: dict,
    new: dict,
) -> NoteRevision | None:
    """Append a revision when the content changed (call inside the save's transaction);
    return it, or None when the save changed nothing."""
    if previous == new:
        return None
    size = snapshot_size(new)
    return NoteRevision.objects.create(
        note=note,
        saved_by=by,
        kind=kind,
        version=version,
        previous_content=previous,
        new_content=new,
        size=size,
        size_change=size - snapshot_size(previous),
    )


def revisions_listed(note_id: int) -> QuerySet[NoteRevision]:
    """The note's revisions, oldest first, without their (encrypted) content: a queryset, so
    that a page can read it with its other statements (ipnb_notes.batch)."""
    return (
        NoteRevision.objects.filter(note_id=note_id)
        .defer("previous_content", "new_content")
        .select_related("saved_by")
    )


def revision_list(note: ProgressNote) -> list[NoteRevision]:
    """The note's revisions, oldest first, without their (encrypted) content."""
    revisions = list(revisions_listed(note.pk))
    for revision in revisions:
        revision.note = note
    return revisions


def revision_rows(revision: NoteRevision) -> list[dict]:
    """The revision's content before and after, field by field, for display."""
    before, after = revision.previous_content or {}, revision.new_content or {}
    goal_texts = _goal_texts(
        revision.note, [*before.get("goals", []), *after.get("goals", [])]
    )
    keys = list(
        dict.fromkeys(
            FORMAT_SECTIONS.get(before.get("format"), [])
            + FORMAT_SECTIONS.get(after.get("format"), [])
        )
    )
    rows = [
        ("Format", before.get("format") or "", after.get("format") or ""),
        *(
            (
                SECTION_LABELS[k],
                (before.get("sections") or {}).get(k, ""),
                (after.get("sections") or {}).get(k, ""),
            )
            for k in keys
        ),
        ("Plan", before.get("plan", ""), after.get("plan", "")),
        (
            "Goals addressed",
            "; ".join(goal_texts.get(c, c) for c in before.get("goals", [])),
            "; ".join(goal_texts.get(c, c) for c in after.get("goals", [])),
        ),
        (
            "Interventions",
            "; ".join(
                _INTERVENTION_LABELS.get(i, i) for i in before.get("interventions", [])
            ),
            "; ".join(
                _INTERVENTION_LABELS.get(i, i) for i in after.get("interventions", [])
            ),
        ),
        ("Risk", _risk_text(before), _risk_text(after)),
        ("Risk details", before.get("risk_details", ""), after.get("risk_details", "")),
        (
            "Next session",
            before.get("next_session_on") or "",
            after.get("next_session_on") or "",
        ),
    ]
    return [
        {"label": label, "before": old, "after": new, "changed": old != new}
        for label, old, new in rows
    ]


def _risk_text(snapshot: dict) -> str:
    labels = dict(ProgressNote.Risk.choices)
    names = {
        "risk_suicidal_ideation": "Suicidal ideation",
        "risk_self_harm": "Self-harm",
        "risk_harm_to_others": "Harm to others",
    }
    risk = snapshot.get("risk") or {}
    return "; ".join(
        f"{names[f]}: {labels.get(v, v)}" for f, v in risk.items() if f in names
    )


def _goal_texts(note: ProgressNote, codes: list[str]) -> dict[str, str]:
    from clients.models import TreatmentGoal

    if not codes:
        return {}
    return {
        str(goal.code): goal.text
        for goal in TreatmentGoal.objects.filter(
            client_id=note.client_id, code__in=set(codes)
        ).only("code", "text")
    }
