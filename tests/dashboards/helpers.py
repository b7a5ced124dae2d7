"""Hand-made clinical data for the dashboards' arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    IntegrationIndicator,
    IntegrationRating,
    ProgressNote,
    RepairEvent,
    RuptureEvent,
)
from tests.factories import make_session

NY = ZoneInfo("America/New_York")


def weeks_ago(n: float, hour: int = 10) -> datetime:
    """A session start n weeks before now, at a fixed local hour."""
    day = timezone.localtime() - timedelta(weeks=n)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def session(client, therapist, starts_at, **kwargs):
    return make_session(client, therapist, starts_at=starts_at, **kwargs)


def rate(sess, values: dict[str, int], by=None):
    """Ratings by indicator code."""
    by = by or sess.therapist
    for code, value in values.items():
        IntegrationRating.objects.create(
            session=sess,
            indicator=IntegrationIndicator.objects.get(code=code),
            value=value,
            rated_by=by,
        )


def rate_composite(sess, value: int):
    """Every FACES indicator at the same value: the session's composite is that value."""
    rate(
        sess,
        dict.fromkeys(
            ("flexible", "adaptive", "coherent", "energized", "stable"), value
        ),
    )


def arousal(sess, zone: str, minute: int = 10):
    return ArousalObservation.objects.create(
        session=sess, zone=zone, minute=minute, created_by=sess.therapist
    )


def attune(sess, process: str, minute: int = 10):
    return AttunementMoment.objects.create(
        session=sess, process=process, minute=minute, created_by=sess.therapist
    )


def rupture(sess, minute: int = 10, rupture_type: str = "WITHDRAWAL"):
    return RuptureEvent.objects.create(
        session=sess,
        client=sess.client,
        minute=minute,
        rupture_type=rupture_type,
        created_by=sess.therapist,
    )


def repair(rup, sess, minute: int = 20):
    return RepairEvent.objects.create(
        session=sess, rupture=rup, minute=minute, created_by=sess.therapist
    )


def signed_note(sess, hours_after_end: float, **kwargs):
    """A note signed this many hours after the session ended (written straight to the row)."""
    end = sess.starts_at + timedelta(minutes=sess.duration_minutes)
    return ProgressNote.objects.create(
        session=sess,
        client=sess.client,
        author=sess.therapist,
        sections={"subjective": "x"},
        status=ProgressNote.Status.SIGNED,
        signed_at=end + timedelta(hours=hours_after_end),
        signed_by=sess.therapist,
        **kwargs,
    )


def ensure_indicators() -> None:
    """The default indicators come from a data migration, which transactional (browser) tests
    flush away: put back the ones these tests rate."""
    for order, code in enumerate(
        ("flexible", "adaptive", "coherent", "energized", "stable"), start=1
    ):
        IntegrationIndicator.objects.get_or_create(
            code=code,
            defaults={
                "group": "FACES",
                "label": code.capitalize(),
                "sort_order": order,
            },
        )
    IntegrationIndicator.objects.get_or_create(
        code="river-position",
        defaults={
            "group": "RIVER",
            "label": "Position on the river of integration",
            "scale_min": -3,
            "scale_max": 3,
            "in_composite": False,
            "sort_order": 99,
        },
    )


def administer(client, code: str, total: int | None, when, *, session=None, by=None):
    """A PHQ-9 or GAD-7 with this total, completed at `when` (written straight to the row:
    the dashboards read totals only). None: an item left unanswered, no total."""
    from measures.instruments import INSTRUMENTS
    from measures.models import Administration

    spec = INSTRUMENTS[code]
    return Administration.objects.create(
        client=client,
        session=session,
        instrument=code,
        mode=Administration.Mode.CLINICIAN,
        responses={"answers": []},
        total=total,
        band=spec.band_for(total).code if total is not None else "",
        unanswered=0 if total is not None else 1,
        completed_at=when,
        recorded_by=by or client_therapist(client),
    )


def client_therapist(client):
    from clients.models import CaseAssignment

    return CaseAssignment.objects.filter(client=client).first().therapist


def course(
    client, therapist, code: str, totals: list[int | None], *, sessions: int = 0
):
    """`sessions` attended weekly sessions ending a week ago, and the totals a week apart,
    oldest first, the last one an hour ago (all in the past whatever the time of day)."""
    now = timezone.now()
    made = [
        session(client, therapist, now - timedelta(weeks=sessions - k, hours=3))
        for k in range(sessions)
    ]
    for k, total in enumerate(totals):
        administer(
            client,
            code,
            total,
            now - timedelta(weeks=len(totals) - k - 1, hours=1),
            by=therapist,
        )
    return made
