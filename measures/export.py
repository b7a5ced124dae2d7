"""The per-client CSV of measures: every questionnaire and check-in, oldest first. The rows
are handed to ipnb_notes.csvexport, which writes every CSV of the app."""

from __future__ import annotations

from django.utils import timezone

from measures.instruments import CHECKINS
from measures.models import Administration, SessionCheckIn

HEADER = (
    "Completed at",
    "Measure",
    "What it is",
    "How completed",
    "Session",
    "Total",
    "Band",
    "Unanswered items",
    "Risk item above 0",
    "Answers",
)


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def rows(client) -> list[list]:
    """Two statements: the administrations and the check-ins, merged by time."""
    out = []
    for a in (
        Administration.objects.filter(client=client)
        .select_related("session")
        .order_by("completed_at")
    ):
        spec = a.spec
        answers = a.responses.get("answers", [])
        out.append(
            (
                a.completed_at,
                [
                    _when(a.completed_at),
                    spec.name,
                    spec.status,
                    a.get_mode_display(),
                    _when(a.session.starts_at) if a.session else "",
                    a.total,
                    a.band_label or a.why_no_total,
                    a.unanswered,
                    ("yes" if a.risk_flag else "no") if spec.risk_item else "",
                    " ".join("-" if v is None else str(v) for v in answers),
                ],
            )
        )
    for c in (
        SessionCheckIn.objects.filter(client=client)
        .select_related("session")
        .order_by("completed_at")
    ):
        spec = next(s for s in CHECKINS.values() if s.respondent == c.respondent)
        out.append(
            (
                c.completed_at,
                [
                    _when(c.completed_at),
                    spec.name,
                    spec.status,
                    Administration.Mode.LINK.label
                    if c.link_id
                    else c.get_respondent_display(),
                    _when(c.session.starts_at),
                    None,
                    "",
                    "",
                    "",
                    c.line,
                ],
            )
        )
    out.sort(key=lambda pair: pair[0])
    return [row for _, row in out]
