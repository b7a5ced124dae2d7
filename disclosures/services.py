"""Recording and revoking authorizations; releasing the record or a psychotherapy note.

Each release builds the PDF, stores a Disclosure row (with the document's SHA-256 and size)
and writes an audit event, in one transaction. Audit events name codes, purposes, kinds and
digests, never the recipient or description (those are PHI and live encrypted in the row).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import User
from disclosures import pdf
from disclosures.models import Authorization, Disclosure, Purpose
from ipnb_notes import access


class AuthorizationRequired(Exception):
    """No current authorization covers this psychotherapy-note disclosure."""


@dataclass(frozen=True)
class Release:
    disclosure: Disclosure
    content: bytes

    @property
    def filename(self) -> str:
        kind = "record" if self.disclosure.kind == Disclosure.Kind.RECORD else "note"
        return f"release-{kind}-{self.disclosure.disclosed_at:%Y%m%d}-{str(self.disclosure.code)[:8]}.pdf"


def authorization_record(
    *, client, by: User, data: dict, request=None
) -> Authorization:
    with transaction.atomic():
        authorization = Authorization.objects.create(
            client=client, recorded_by=by, **data
        )
        audit.record(
            "authorization.record",
            actor=by,
            request=request,
            target=authorization,
            client_code=client.code,
            changes={
                "purpose": authorization.purpose,
                "covers_psychotherapy_notes": authorization.covers_psychotherapy_notes,
                "signed_on": authorization.signed_on,
                "expires_on": authorization.expires_on,
            },
        )
    return authorization


def authorization_revoke(
    *, authorization: Authorization, by: User, request=None
) -> Authorization:
    """Revoke once; revoking a revoked authorization changes nothing."""
    with transaction.atomic():
        updated = Authorization.objects.filter(
            pk=authorization.pk, revoked_at__isnull=True
        ).update(revoked_at=timezone.now(), revoked_by=by)
        if updated:
            audit.record(
                "authorization.revoke",
                actor=by,
                request=request,
                target=authorization,
                client_code=authorization.client.code,
            )
    authorization.refresh_from_db()
    return authorization


def _release_header(
    *, code, by: User, at, recipient, purpose, description, authorization
):
    return {
        "reference": str(code),
        "recipient": recipient,
        "purpose_label": Purpose(purpose).label,
        "description": description,
        "by": str(by),
        "at": at,
        "authorization": (
            f"{authorization.get_purpose_display()}, signed {authorization.signed_on:%Y-%m-%d}"
            + (
                f", expires {authorization.expires_on:%Y-%m-%d}"
                if authorization.expires_on
                else ""
            )
            if authorization
            else ""
        ),
    }


def _store(*, content: bytes, request, **fields) -> Release:
    disclosure = Disclosure(
        sha256=hashlib.sha256(content).hexdigest(), byte_size=len(content), **fields
    )
    with transaction.atomic():
        disclosure.save(force_insert=True)
        audit.record(
            "disclosure.release",
            actor=disclosure.user,
            request=request,
            target=disclosure,
            client_code=disclosure.client.code,
            changes={
                "kind": disclosure.kind,
                "purpose": disclosure.purpose,
                "authorization": str(disclosure.authorization.code)
                if disclosure.authorization
                else "",
                "sha256": disclosure.sha256,
                "bytes": disclosure.byte_size,
                "period": [disclosure.period_start, disclosure.period_end],
            },
        )
    return Release(disclosure=disclosure, content=content)


def record_release(*, client, by: User, data: dict, request=None) -> Release:
    """Release the client record (identity, goals, author-signed notes with addenda) as a
    PDF and account for it. Drafts, returned notes and psychotherapy notes never go in."""
    from clients.models import TreatmentGoal
    from measures.export import record_entries
    from sessions.models import ProgressNote
    from sessions.notes.formats import FORMAT_SECTIONS, SECTION_LABELS

    code, at = uuid.uuid4(), timezone.now()
    date_from, date_to = data.get("date_from"), data.get("date_to")
    notes = (
        access.visible_notes(by)
        .filter(
            client=client,
            status__in=[
                ProgressNote.Status.SIGNED,
                ProgressNote.Status.AWAITING_COSIGNATURE,
            ],
        )
        .select_related("session", "author")
        .prefetch_related("signatures", "addenda", "goals_addressed")
        .order_by("session__starts_at")
    )
    tz = timezone.get_current_timezone()
    if date_from:
        notes = notes.filter(
            session__starts_at__gte=timezone.make_aware(
                datetime.combine(date_from, time.min), tz
            )
        )
    if date_to:
        notes = notes.filter(
            session__starts_at__lte=timezone.make_aware(
                datetime.combine(date_to, time.max), tz
            )
        )
    period = ""
    if date_from or date_to:
        period = f"{date_from or 'the start'} to {date_to or 'today'}"
    authorization = data.get("authorization")
    header = _release_header(
        code=code,
        by=by,
        at=at,
        recipient=data["recipient"],
        purpose=data["purpose"],
        description=data["description"],
        authorization=authorization,
    )
    header["period"] = period
    content = pdf.record_pdf(
        client=client,
        release=header,
        goals=list(TreatmentGoal.objects.filter(client=client)),
        notes=list(notes),
        sections={str(k): v for k, v in FORMAT_SECTIONS.items()},
        labels=SECTION_LABELS,
        measures=record_entries(client, date_from=date_from, date_to=date_to),
    )
    return _store(
        content=content,
        request=request,
        code=code,
        disclosed_at=at,
        client=client,
        user=by,
        recipient=data["recipient"],
        purpose=data["purpose"],
        description=data["description"],
        kind=Disclosure.Kind.RECORD,
        authorization=authorization,
        period_start=date_from,
        period_end=date_to,
    )


def psychotherapy_authorizations(client, purpose: str | None = None):
    """Current authorizations of this client that name psychotherapy notes."""
    found = Authorization.objects.current().filter(
        client=client, covers_psychotherapy_notes=True
    )
    return found.filter(purpose=purpose) if purpose else found


def process_note_release(
    *, pnote, by: User, purpose: str, description: str, request=None
) -> Release:
    """Release one psychotherapy note. Refused (AuthorizationRequired) unless a current
    authorization of the client names psychotherapy notes for this purpose; the recipient
    is the one that authorization names."""
    client = pnote.session.client
    authorization = (
        psychotherapy_authorizations(client, purpose).order_by("-signed_on").first()
    )
    if authorization is None:
        audit.record(
            "disclosure.refused",
            actor=by,
            request=request,
            target=pnote,
            client_code=client.code,
            changes={"kind": Disclosure.Kind.PSYCHOTHERAPY_NOTE, "purpose": purpose},
        )
        raise AuthorizationRequired
    code, at = uuid.uuid4(), timezone.now()
    header = _release_header(
        code=code,
        by=by,
        at=at,
        recipient=authorization.recipient,
        purpose=purpose,
        description=description,
        authorization=authorization,
    )
    content = pdf.process_note_pdf(client=client, release=header, pnote=pnote)
    return _store(
        content=content,
        request=request,
        code=code,
        disclosed_at=at,
        client=client,
        user=by,
        recipient=authorization.recipient,
        purpose=purpose,
        description=description,
        kind=Disclosure.Kind.PSYCHOTHERAPY_NOTE,
        authorization=authorization,
    )
