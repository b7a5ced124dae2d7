"""The capture rules: when a session takes events, minutes, markers, repair order."""

from __future__ import annotations

from django.utils import timezone

from sessions.capture.services.common import LOCKED_MESSAGE, MINUTE_MARGIN, CaptureError
from sessions.models import ProgressNote, RuptureEvent, TherapySession


def max_minute(session: TherapySession) -> int:
    return session.duration_minutes + MINUTE_MARGIN


def clock_minute(session: TherapySession, now=None) -> int:
    """Minutes since the session's start, clamped to 0..length+margin."""
    now = now or timezone.now()
    elapsed = int((now - session.starts_at).total_seconds() // 60)
    return max(0, min(elapsed, max_minute(session)))


def note_status_query(session: TherapySession):
    """The status of the session's note (one row at most: a session has one note), for
    refusal_for; a queryset, so a page can read it with its other reads (batch.fetch)."""
    return ProgressNote.objects.filter(session=session).values_list(
        "status", flat=True
    )[:1]


def capture_refusal(session: TherapySession) -> str | None:
    """Why events cannot be recorded on this session now, or None when they can."""
    return refusal_for(session, next(iter(note_status_query(session)), None))


def refusal_for(session: TherapySession, note_status: str | None) -> str | None:
    """capture_refusal for a session whose note status (None: no note) is already read."""
    if note_status in (
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


def check_writable(session: TherapySession) -> None:
    refusal = capture_refusal(session)
    if refusal:
        raise CaptureError(refusal)


def check_minute(session: TherapySession, minute: int) -> None:
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


def check_rupture_edit(rupture: RuptureEvent, data: dict) -> None:
    """An inline edit keeps the markers of the rupture's type and the rupture before its
    repair in the same session."""
    from sessions.models import RepairEvent

    check_markers(
        data.get("rupture_type", rupture.rupture_type),
        data.get("markers", rupture.markers),
    )
    minute = data.get("minute", rupture.minute)
    repair = RepairEvent.objects.filter(rupture=rupture).first()
    if (
        repair is not None
        and repair.session_id == rupture.session_id
        and minute > repair.minute
    ):
        raise CaptureError(
            f"The rupture cannot come after its repair (minute {repair.minute}).",
            field="minute",
        )


def check_repair_edit(repair, data: dict) -> None:
    """An inline edit keeps the repair after its rupture."""
    check_repair_order(
        repair.rupture, repair.session, data.get("minute", repair.minute)
    )
