"""The app's models, for Django and for imports: each is declared in its feature package
(sessions/notes/models.py, sessions/capture/models.py)."""

from __future__ import annotations

from sessions.capture.models import (
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
from sessions.notes.models import (
    Addendum,
    CommentReply,
    NoteRevision,
    NoteSignature,
    ProgressNote,
    PsychotherapyNote,
    SupervisionComment,
    TherapySession,
)
from sessions.scheduling.models import CalendarFeed, SessionSeries

__all__ = [
    "COMPOSITE_SCALE",
    "Addendum",
    "CalendarFeed",
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
    "SessionSeries",
    "SessionTag",
    "SupervisionComment",
    "TherapySession",
]
