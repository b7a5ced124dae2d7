from __future__ import annotations

from sessions.models.ipnb import (
    ArousalObservation,
    AttunementMoment,
    IntegrationIndicator,
    IntegrationRating,
    RepairEvent,
    RuptureEvent,
    SessionTag,
)
from sessions.models.records import (
    Addendum,
    NoteSignature,
    ProgressNote,
    PsychotherapyNote,
    SupervisionComment,
    TherapySession,
)
from sessions.models.revisions import NoteRevision

__all__ = [
    "Addendum",
    "ArousalObservation",
    "AttunementMoment",
    "IntegrationIndicator",
    "IntegrationRating",
    "NoteRevision",
    "NoteSignature",
    "ProgressNote",
    "PsychotherapyNote",
    "RepairEvent",
    "RuptureEvent",
    "SessionTag",
    "SupervisionComment",
    "TherapySession",
]
