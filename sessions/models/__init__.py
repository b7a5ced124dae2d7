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

__all__ = [
    "Addendum",
    "ArousalObservation",
    "AttunementMoment",
    "IntegrationIndicator",
    "IntegrationRating",
    "NoteSignature",
    "ProgressNote",
    "PsychotherapyNote",
    "RepairEvent",
    "RuptureEvent",
    "SessionTag",
    "SupervisionComment",
    "TherapySession",
]
