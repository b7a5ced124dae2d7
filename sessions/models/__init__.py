from __future__ import annotations

from sessions.models.ipnb import (
    COMPOSITE_SCALE,
    ArousalObservation,
    AttunementMoment,
    CoRegulationMoment,
    InstrumentStatus,
    IntegrationIndicator,
    IntegrationLink,
    IntegrationRating,
    RepairEvent,
    RuptureEvent,
    Scale,
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
from sessions.models.threads import CommentReply

__all__ = [
    "COMPOSITE_SCALE",
    "Addendum",
    "CommentReply",
    "ArousalObservation",
    "AttunementMoment",
    "CoRegulationMoment",
    "InstrumentStatus",
    "IntegrationIndicator",
    "IntegrationLink",
    "IntegrationRating",
    "NoteRevision",
    "NoteSignature",
    "ProgressNote",
    "PsychotherapyNote",
    "RepairEvent",
    "RuptureEvent",
    "Scale",
    "SessionTag",
    "SupervisionComment",
    "TherapySession",
]
