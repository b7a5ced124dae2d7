"""The per-client CSV of measures: every questionnaire and check-in, oldest first. The rows
are handed to ipnb_notes.csvexport, which writes every CSV of the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from measures.instruments import CHECKINS
from measures.models import Administration, PracticeAdministration, SessionCheckIn

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


def _scores(client, narrow=lambda qs: qs):
    """Every scored instrument of the client: the registry's, then the practice's."""
    yield from narrow(
        Administration.objects.filter(client=client).select_related("session")
    ).order_by("completed_at")
    yield from narrow(
        PracticeAdministration.objects.filter(client=client).select_related(
            "session", "instrument"
        )
    ).order_by("completed_at")


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def rows(client) -> list[list]:
    """Three statements: the administrations (standardised, then defined by the practice)
    and the check-ins, merged by time."""
    out = []
    for a in _scores(client):
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


@dataclass(frozen=True)
class RecordEntry:
    """One questionnaire or check-in as the released record prints it."""

    completed_at: datetime
    title: str  # the instrument's name and what it is
    how: str
    result: str
    answers: str
    attribution: str = ""


def record_entries(client, *, date_from=None, date_to=None) -> list[RecordEntry]:
    """The client's measures for a release of records, oldest first, within the release's
    period (completion dates, in the practice's time zone). Two statements."""
    tz = timezone.get_current_timezone()
    since = (
        timezone.make_aware(datetime.combine(date_from, time.min), tz)
        if date_from
        else None
    )
    until = (
        timezone.make_aware(datetime.combine(date_to, time.max), tz)
        if date_to
        else None
    )

    def within(qs):
        if since:
            qs = qs.filter(completed_at__gte=since)
        if until:
            qs = qs.filter(completed_at__lte=until)
        return qs.order_by("completed_at")

    entries = []
    for a in _scores(client, within):
        spec = a.spec
        if a.total is not None:
            result = f"Total {a.total} of {spec.max_total}: {a.band_label}"
        else:
            result = a.why_no_total
        if spec.risk_item and a.risk_flag:
            result += f"; item {spec.risk_item} above 0 (risk alert raised)"
        answers = a.responses.get("answers", [])
        entries.append(
            RecordEntry(
                completed_at=a.completed_at,
                title=f"{spec.name} ({spec.status})",
                how=a.get_mode_display(),
                result=result,
                answers="Item answers: "
                + " ".join("-" if v is None else str(v) for v in answers),
                attribution=getattr(spec, "attribution", ""),
            )
        )
    for c in within(SessionCheckIn.objects.filter(client=client)):
        spec = next(s for s in CHECKINS.values() if s.respondent == c.respondent)
        entries.append(
            RecordEntry(
                completed_at=c.completed_at,
                title=f"{spec.name} ({spec.status})",
                how=Administration.Mode.LINK.label
                if c.link_id
                else c.get_respondent_display(),
                result=c.line,
                answers="",
            )
        )
    entries.sort(key=lambda e: e.completed_at)
    return entries
