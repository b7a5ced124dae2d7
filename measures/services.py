"""State changes for outcome measures. Each writes its audit event; emails go through the
outbox (ipnb_notes/outbox.py) and carry no clinical content."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import audit
from ipnb_notes import batch, links, outbox
from ipnb_notes.lib.crypto import hash_token
from measures import instruments
from measures.change import Change, Paired, change, paired
from measures.models import (
    Administration,
    MeasureLink,
    PracticeAdministration,
    RiskAlert,
    SessionCheckIn,
    practice_specs,
    spec_for,
)
from measures.scoring import score

SESSION_KEY = "measure_link_token"


class LinkNotUsable(Exception):
    """The link was used, revoked or expired while the client was answering."""


def link_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("measure_link_open", args=[token])


def administration_record(
    *,
    client,
    instrument: instruments.Instrument,
    answers: list[int | None],
    by=None,
    link: MeasureLink | None = None,
    session=None,
    request=None,
) -> Administration:
    """Score and store a completed questionnaire; raise a risk alert at once when the risk
    item is above 0. `by` is the clinician (in session) or None with `link` (by the client).
    An instrument the practice defined is stored apart (PracticeAdministration)."""
    result = score(instrument, answers)
    if instrument.is_practice:
        return _practice_record(
            client=client,
            instrument=instrument,
            result=result,
            answers=answers,
            by=by,
            link=link,
            session=session,
            request=request,
        )
    with transaction.atomic():
        admin = Administration(
            client=client,
            session=session,
            instrument=instrument.code,
            mode=Administration.Mode.LINK if link else Administration.Mode.CLINICIAN,
            responses={"answers": answers},
            total=result.total,
            band=result.band.code if result.band else "",
            unanswered=len(result.unanswered),
            risk_flag=result.risk,
            recorded_by=by,
            link=link,
        )
        admin.save()
        audit.record(
            "measure.complete_by_link" if link else "measure.administer",
            actor=by,
            request=request,
            target=admin,
            client_code=client.code,
            changes={
                "instrument": instrument.code,
                "total": result.total,
                "unanswered": len(result.unanswered),
                "risk": result.risk,
            },
        )
        if result.risk:
            alert = RiskAlert.objects.create(administration=admin, client=client)
            audit.record(
                "risk_alert.raise",
                actor=by,
                request=request,
                target=alert,
                client_code=client.code,
                changes={"administration": str(admin.code)},
            )
            if link is not None:
                outbox.enqueue("measures.tasks.risk_alert_notify", alert.id)
    return admin


def _practice_record(
    *, client, instrument, result, answers, by, link, session, request
) -> PracticeAdministration:
    with transaction.atomic():
        row = PracticeAdministration.objects.create(
            client=client,
            session=session,
            instrument_id=instrument.code,
            mode=Administration.Mode.LINK if link else Administration.Mode.CLINICIAN,
            responses={"answers": answers},
            total=result.total,
            band=result.band.code if result.band else "",
            unanswered=len(result.unanswered),
            recorded_by=by,
            link=link,
        )
        audit.record(
            "measure.complete_by_link" if link else "measure.administer",
            actor=by,
            request=request,
            target=row,
            client_code=client.code,
            changes={
                "instrument": instrument.code,
                "total": result.total,
                "unanswered": len(result.unanswered),
            },
        )
    return row


def link_create(
    *,
    client,
    instrument: instruments.Instrument | instruments.CheckIn,
    by,
    email: str = "",
    session=None,
    scheduled: bool = False,
    request=None,
) -> tuple[MeasureLink, str]:
    """A new one-time link; returns it with its token (shown once, never stored in clear).
    With `email`, the link is also emailed (practice name and link only). A check-in link
    names the session it asks about; so does a questionnaire's link made by the client's
    schedule (`scheduled`, measures.scheduling), whose token, when not emailed, waits
    encrypted for the therapist to copy (`by` is then the session's therapist, the audit
    event has no actor)."""
    if isinstance(instrument, instruments.CheckIn) and session is None:
        raise ValueError("a check-in link names its session")
    if session is not None and not (
        scheduled or isinstance(instrument, instruments.CheckIn)
    ):
        raise ValueError("a questionnaire's link names a session only when scheduled")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = MeasureLink(
            client=client,
            instrument=instrument.code,
            token_hash=hash_token(token),
            created_by=by,
            session=session,
            scheduled=scheduled,
        )
        if email:
            link.mail_to = email
            link.mail_token = token
        elif scheduled:
            link.held_token = token
        link.save()
        audit.record(
            "measure_link.create",
            actor=None if scheduled else by,
            request=request,
            target=link,
            client_code=client.code,
            changes={
                "instrument": instrument.code,
                "emailed": bool(email),
                **({"session": str(session.code)} if session else {}),
                **({"scheduled": True} if scheduled else {}),
            },
        )
        if email:
            outbox.enqueue("measures.tasks.measure_link_send", link.id)
    return link, token


def link_revoke(*, link: MeasureLink, by, request=None) -> None:
    with transaction.atomic():
        done = MeasureLink.objects.filter(
            pk=link.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if (
            done and link.held_token
        ):  # a scheduled link's address is not needed any more
            link.held_token = ""
            link.save(update_fields=["held_token"])
        if done:
            audit.record(
                "measure_link.revoke",
                actor=by,
                request=request,
                target=link,
                client_code=link.client.code,
            )


def link_for_token(token: str) -> MeasureLink | None:
    """The open link this token names, or None (used, expired, revoked or unknown alike)."""
    if not token or len(token) > 100:
        return None
    return (
        MeasureLink.objects.usable()
        .select_related("client", "session")
        .filter(token_hash=hash_token(token))
        .first()
    )


def checkin_record(
    *,
    session,
    checkin: instruments.CheckIn,
    responses: dict,
    by=None,
    link=None,
    request=None,
) -> SessionCheckIn:
    """Store a post-session check-in: the client's (through `link`) or the therapist's
    mirror (`by`)."""
    with transaction.atomic():
        answer = SessionCheckIn.objects.create(
            session=session,
            client=session.client,
            respondent=checkin.respondent,
            responses=responses,
            recorded_by=by,
            link=link,
        )
        audit.record(
            "checkin.complete_by_link" if link else "checkin.record",
            actor=by,
            request=request,
            target=answer,
            client_code=session.client.code,
            changes={
                "checkin": checkin.code,
                "session": str(session.code),
                "tension": responses["tension"],
                "unresolved": answer.unresolved,
            },
        )
    return answer


def _claim(link: MeasureLink) -> None:
    """Mark the link used, once: LinkNotUsable when it was used, revoked or expired (the
    UPDATE's condition decides, so two submissions at once cannot both pass)."""
    claimed = (
        MeasureLink.objects.usable().filter(pk=link.pk).update(used_at=timezone.now())
    )
    if not claimed:
        raise LinkNotUsable


def checkin_complete(*, link: MeasureLink, responses: dict, request=None):
    """The client's check-in through its link, once (LinkNotUsable otherwise)."""
    with transaction.atomic():
        _claim(link)
        return checkin_record(
            session=link.session,
            checkin=link.spec,
            responses=responses,
            link=link,
            request=request,
        )


def link_complete(
    *, link: MeasureLink, answers: list[int | None], request=None
) -> Administration:
    """Record the client's answers and close the link, once: a second submission, or one
    after the link was revoked or expired, raises LinkNotUsable."""
    with transaction.atomic():
        _claim(link)
        return administration_record(
            client=link.client,
            instrument=link.spec,
            answers=answers,
            link=link,
            session=link.session,
            request=request,
        )


def measure_link_send(*, link_id: int) -> bool:
    """Email a link (practice name and link only), once. The token and address are erased in
    the transaction that sends; a failed send rolls back, so the retry sends."""
    with transaction.atomic():
        link = MeasureLink.objects.select_for_update().filter(pk=link_id).first()
        if link is None or link.mailed_at or not link.mail_token:
            return False
        context = {
            "practice": settings.PRACTICE_NAME,
            "link": link_url(link.mail_token),
        }
        send_mail(
            subject=render_to_string(
                "measures/emails/link-subject.txt", context
            ).strip(),
            message=render_to_string("measures/emails/link-body.txt", context),
            from_email=None,
            recipient_list=[link.mail_to],
        )
        link.mail_to = ""
        link.mail_token = ""
        link.mailed_at = timezone.now()
        link.save(update_fields=["mail_to", "mail_token", "mailed_at"])
        audit.record(
            "measure_link.email_sent", target=link, client_code=link.client.code
        )
    return True


def risk_alert_notify(*, alert_id: int) -> int:
    """Email the client's current therapists that a questionnaire needs their attention (no
    clinical content, no name), once per alert."""
    from accounts.models import User
    from clients.models import CaseAssignment
    from ipnb_notes.outbox import claim_notification

    alert = RiskAlert.objects.select_related("client").filter(pk=alert_id).first()
    if alert is None:
        return 0
    recipients = sorted(
        User.objects.filter(
            pk__in=CaseAssignment.objects.current()
            .filter(client=alert.client)
            .values("therapist_id"),
            is_active=True,
        ).values_list("email", flat=True)
    )
    if not recipients:
        return 0
    context = {
        "practice": settings.PRACTICE_NAME,
        "link": settings.SITE_URL.rstrip("/") + alert.get_absolute_url(),
    }
    with transaction.atomic():
        if not claim_notification("risk_alert", alert.pk):
            return 0
        send_mail(
            subject=render_to_string(
                "measures/emails/alert-subject.txt", context
            ).strip(),
            message=render_to_string("measures/emails/alert-body.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
        audit.record(
            "risk_alert.notify",
            target=alert,
            client_code=alert.client.code,
            changes={"recipients": len(recipients)},
        )
    return len(recipients)


def risk_alert_acknowledge(*, alert: RiskAlert, by, action_taken: str, request=None):
    """Close an open alert with what was done; an alert closed already stays as it was."""
    with transaction.atomic():
        locked = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            return locked
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = by
        locked.action_taken = action_taken
        locked.save(
            update_fields=["acknowledged_at", "acknowledged_by", "action_taken"]
        )
        audit.record(
            "risk_alert.acknowledge",
            actor=by,
            request=request,
            target=locked,
            client_code=alert.client.code,
        )
    return locked


# --- Reads for the pages --------------------------------------------------------------------


@dataclass
class InstrumentSummary:
    instrument: instruments.Instrument
    latest: Administration | None = None
    first_scored: Administration | None = None
    latest_scored: Administration | None = None

    @property
    def no_change_reason(self) -> str:
        return self.instrument.no_change_reason

    @property
    def change(self) -> Change | None:
        if (
            self.instrument.change is None
            or self.first_scored is None
            or self.latest_scored is None
            or self.first_scored.pk == self.latest_scored.pk
        ):
            return None
        return change(
            self.instrument, self.first_scored.total, self.latest_scored.total
        )


# Per instrument, the first and latest administration (scored or not) and every one with an
# open risk alert: the standardised instruments and, UNION ALL, those the practice defined.
# The answers are not read.
_SUMMARY_SQL = """
WITH scores AS (
    SELECT 'S' AS kind, a.id, a.code, a.instrument, a.mode, a.total, a.band,
           a.unanswered, a.completed_at, a.total IS NOT NULL AS is_scored,
           row_number() OVER (PARTITION BY a.instrument, a.total IS NOT NULL
                              ORDER BY a.completed_at, a.id) AS rn_first,
           row_number() OVER (PARTITION BY a.instrument, a.total IS NOT NULL
                              ORDER BY a.completed_at DESC, a.id DESC) AS rn_last,
           r.code AS alert_code, r.raised_at AS alert_raised_at
    FROM {administration} a
    LEFT JOIN {alert} r ON r.administration_id = a.id AND r.acknowledged_at IS NULL
    WHERE a.client_id = %(client)s
    UNION ALL
    SELECT 'P', p.id, p.code, p.instrument, p.mode, p.total, p.band,
           p.unanswered, p.completed_at, p.total IS NOT NULL,
           row_number() OVER (PARTITION BY p.instrument, p.total IS NOT NULL
                              ORDER BY p.completed_at, p.id),
           row_number() OVER (PARTITION BY p.instrument, p.total IS NOT NULL
                              ORDER BY p.completed_at DESC, p.id DESC),
           NULL::uuid, NULL::timestamptz
    FROM {practice} p
    WHERE p.client_id = %(client)s
)
SELECT kind, id, code, instrument, mode, total, band, unanswered, completed_at,
       is_scored, rn_first, rn_last, alert_code, alert_raised_at
FROM scores
WHERE rn_first = 1 OR rn_last = 1 OR alert_code IS NOT NULL
ORDER BY completed_at, kind, id
"""


def _place(summaries: dict, row) -> None:
    s = summaries[row.instrument]
    if row.rn_last == 1 and (
        s.latest is None or row.completed_at >= s.latest.completed_at
    ):
        s.latest = row
    if row.is_scored and row.rn_first == 1:
        s.first_scored = row
    if row.is_scored and row.rn_last == 1:
        s.latest_scored = row


@functools.cache
def _summary_sql() -> str:
    return _SUMMARY_SQL.format(
        administration=Administration._meta.db_table,
        alert=RiskAlert._meta.db_table,
        practice=PracticeAdministration._meta.db_table,
    )


def client_summary_read(client_id: int) -> batch.Raw:
    """client_summary's one statement (_SUMMARY_SQL), for a page's batch (batch.fetch): a
    prepared statement of the connection, planned once, not on every page."""
    return batch.Raw(_summary_sql(), {"client": client_id})


def client_summary(client, *, rows: list | None = None) -> dict:
    """The client page's Measures section in ONE query (client_summary_read; `rows`: its
    rows, already read with the page's batch); the instruments the practice defined come
    after the registry's, by name (their specs are read once per process,
    measures.models.practice_specs)."""
    if rows is None:
        [rows] = batch.fetch(client_summary_read(client.pk))
    rows = [_SummaryRow(*values) for values in rows]
    summaries = {
        code: InstrumentSummary(instrument=spec)
        for code, spec in instruments.INSTRUMENTS.items()
    }
    specs = practice_specs({r.instrument for r in rows if r.kind == "P"})
    for code, spec in sorted(specs.items(), key=lambda pair: pair[1].name):
        summaries[code] = InstrumentSummary(instrument=spec)
    alerts = []
    for row in rows:
        _place(summaries, row)
        if row.alert_code:
            alerts.append(row)
    changes = {code: s.change for code, s in summaries.items()}
    both: Paired | None = None
    if changes.get("PHQ9") and changes.get("GAD7"):
        both = paired(changes["PHQ9"], changes["GAD7"])
    return {
        "summaries": list(summaries.values()),
        "alerts": sorted(alerts, key=lambda a: a.alert_raised_at),
        "paired": both,
    }


# The detail page of a row's administration, by kind: Administration.get_absolute_url and
# PracticeAdministration.get_absolute_url (tests/measures check the two agree).
_DETAIL_URLS = {
    "S": "measures:administration_detail",
    "P": "measures:practice_score_detail",
}


@dataclass
class _SummaryRow:
    """One row of client_summary's query, read like an administration by the page."""

    kind: str
    id: int
    code: object
    instrument: str
    mode: str
    total: int | None
    band: str
    unanswered: int
    completed_at: object
    is_scored: bool
    rn_first: int
    rn_last: int
    alert_code: object
    alert_raised_at: object

    @property
    def pk(self) -> int:
        return (self.kind, self.id)

    @property
    def _model(self):
        return Administration if self.kind == "S" else PracticeAdministration

    def get_absolute_url(self) -> str:
        # The model's own URL (get_absolute_url), its pattern reversed once per process.
        return links.link(_DETAIL_URLS[self.kind], self.code)

    def get_mode_display(self) -> str:
        return Administration.Mode(self.mode).label

    @property
    def spec(self):
        return spec_for(self.instrument)

    @property
    def band_label(self) -> str:
        return self.spec.band_label(self.band)

    @property
    def why_no_total(self) -> str:
        return Administration(unanswered=self.unanswered).why_no_total


def session_checkins(session):
    """The session's check-ins as a queryset, for the timeline's batch (no query here)."""
    return SessionCheckIn.objects.filter(session=session).order_by("completed_at")


def timeline_checkins(rows) -> list[SessionCheckIn]:
    """The check-ins shown on the session timeline, beside the rupture tags: the client's
    when they felt tension that was not resolved, and the therapist's mirror."""
    return [
        row
        for row in rows
        if row.respondent == SessionCheckIn.Respondent.THERAPIST or row.unresolved
    ]
