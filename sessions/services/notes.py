"""Sessions, progress notes, signing, co-signature, addenda, supervision comments, process notes.

Every state change writes an audit event (codes, statuses and field names only, never the
clinical text). Views authorize through ipnb_notes/access.py before calling these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.formats import date_format

import audit
from accounts.models import Supervision, User
from ipnb_notes.lib.crypto import content_hash
from sessions.models import (
    Addendum,
    NoteSignature,
    ProgressNote,
    PsychotherapyNote,
    SupervisionComment,
    TherapySession,
)

# --- Note formats (DOMAIN.md 5.1) -----------------------------------------------------------------
# The plan is its own column (note.plan), shared by every format, so "Load last note" and the
# home page can read it; the other sections live in the encrypted sections document.

SECTION_LABELS = {
    "subjective": "Subjective",
    "objective": "Objective",
    "data": "Data",
    "behavior": "Behavior",
    "goal": "Goal",
    "problem": "Problem",
    "intervention": "Intervention",
    "response": "Response",
    "assessment": "Assessment",
    "narrative": "Narrative",
}

SECTION_PROMPTS = {
    "subjective": "The client's own report: symptoms, concerns and what happened since the "
    "last session, in their words.",
    "objective": "What you observed and measured: appearance, affect, behaviour, scores. "
    "Observations of arousal, attunement, rupture and repair fit here.",
    "data": "What was said and observed in the session, and the interventions you used.",
    "behavior": "How the client presented: observable behaviour and reported concerns.",
    "goal": "The treatment-plan goal or objective this session worked on.",
    "problem": "The presenting problem this session addressed.",
    "intervention": "The techniques you used, by name.",
    "response": "How the client responded to the interventions.",
    "assessment": "Your clinical interpretation: progress toward goals, barriers, "
    "diagnostic impressions, integration.",
    "narrative": "The session in your own words: presentation, interventions, the client's "
    "response and progress.",
}

PLAN_PROMPT = (
    "Next steps: interventions, homework, referrals, next session and frequency."
)

FORMAT_SECTIONS: dict[str, list[str]] = {
    ProgressNote.Format.SOAP: ["subjective", "objective", "assessment"],
    ProgressNote.Format.DAP: ["data", "assessment"],
    ProgressNote.Format.BIRP: ["behavior", "intervention", "response"],
    ProgressNote.Format.GIRP: ["goal", "intervention", "response"],
    ProgressNote.Format.PIRP: ["problem", "intervention", "response"],
    ProgressNote.Format.NARRATIVE: ["narrative"],
}

ALL_SECTIONS = list(SECTION_LABELS)

RISK_FIELDS = ["risk_suicidal_ideation", "risk_self_harm", "risk_harm_to_others"]

# Fields of a note that a save may change (goals are handled apart: they are a relation).
_CONTENT_FIELDS = [
    "format",
    "sections",
    "plan",
    "interventions",
    "risk_suicidal_ideation",
    "risk_self_harm",
    "risk_harm_to_others",
    "risk_details",
    "next_session_on",
]

LATE_AFTER = timedelta(hours=48)


class NoteError(Exception):
    """A rule of the clinical record was broken; the message is shown to the user."""


class VersionConflict(NoteError):
    """Someone (another tab, another device) saved the note since this version was loaded."""

    def __init__(self, current):
        super().__init__("This note was changed elsewhere since you opened it.")
        self.current = current


def signer_name(user: User) -> str:
    return (
        f"{user.full_name}, {user.credentials}" if user.credentials else user.full_name
    )


def local_date(value) -> str:
    return date_format(timezone.localtime(value), "F j, Y")


def author_attestation(session: TherapySession) -> str:
    return (
        "I attest that this note accurately documents the service provided on "
        f"{local_date(session.starts_at)}."
    )


def cosign_attestation(session: TherapySession) -> str:
    return (
        "I have reviewed this note and co-sign it as the supervising clinician for the "
        f"service provided on {local_date(session.starts_at)}."
    )


def addendum_attestation(note: ProgressNote) -> str:
    return (
        "I attest that this addendum is accurate and adds to the signed note of the service "
        f"provided on {local_date(note.session.starts_at)}."
    )


def canonical_content(note: ProgressNote, goal_codes: list[str] | None = None) -> str:
    """The note's content as canonical JSON: what a signature's content hash covers."""
    if goal_codes is None:
        goal_codes = [
            str(c) for c in note.goals_addressed.values_list("code", flat=True)
        ]
    keys = FORMAT_SECTIONS.get(note.format, [])
    sections = note.sections or {}
    payload = {
        "session": str(note.session.code),
        "client": str(note.client.code),
        "author": str(note.author.code),
        "format": note.format,
        "sections": {k: sections.get(k, "") for k in keys},
        "plan": note.plan or "",
        "goals": sorted(goal_codes),
        "interventions": sorted(note.interventions or []),
        "risk": {f: getattr(note, f) or "" for f in RISK_FIELDS},
        "risk_details": note.risk_details or "",
        "next_session_on": note.next_session_on.isoformat()
        if note.next_session_on
        else None,
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def note_content_hash(note: ProgressNote, goal_codes: list[str] | None = None) -> str:
    return content_hash(canonical_content(note, goal_codes))


def note_has_content(note: ProgressNote) -> bool:
    sections = note.sections or {}
    return bool(
        any(
            (sections.get(k) or "").strip()
            for k in FORMAT_SECTIONS.get(note.format, [])
        )
        or (note.plan or "").strip()
    )


def _rollup(client) -> None:
    from dashboards.services import request_rollup

    request_rollup(client)


# --- Sessions -------------------------------------------------------------------------------------


def session_create(
    *,
    client,
    by: User,
    starts_at,
    duration_minutes: int,
    modality: str,
    setting: str,
    status: str,
    service_code: str = "",
    idempotency_key=None,
    request=None,
) -> tuple[TherapySession, bool]:
    """Schedule or log a session of a client on `by`'s caseload. A repeated idempotency key
    returns the session the first submit created, so a double submit creates one session."""
    if idempotency_key:
        existing = TherapySession.objects.filter(
            idempotency_key=idempotency_key, therapist=by, client=client
        ).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            session = TherapySession.objects.create(
                client=client,
                therapist=by,
                starts_at=starts_at,
                duration_minutes=duration_minutes,
                modality=modality,
                setting=setting,
                status=status,
                service_code=service_code,
                idempotency_key=idempotency_key,
            )
            audit.record(
                "session.create",
                actor=by,
                request=request,
                target=session,
                client_code=client.code,
                changes={
                    "starts_at": [None, starts_at.isoformat()],
                    "status": [None, status],
                    "duration_minutes": [None, duration_minutes],
                },
            )
    except IntegrityError:
        # Two submits with one key raced; the other one created the session.
        existing = TherapySession.objects.filter(
            idempotency_key=idempotency_key, therapist=by, client=client
        ).first()
        if existing is None:
            raise
        return existing, False
    return session, True


SESSION_FIELDS = [
    "starts_at",
    "duration_minutes",
    "modality",
    "setting",
    "status",
    "service_code",
]


def session_update(*, session: TherapySession, by: User, data: dict, request=None):
    """Change a session's details. A session with a note stays attended, and the details of a
    session whose note is signed are part of the signed record: corrections go in an addendum."""
    note = ProgressNote.objects.filter(session=session).only("status").first()
    if note is not None:
        if data.get("status", session.status) != TherapySession.Status.ATTENDED:
            raise NoteError(
                "This session has a progress note, so it stays marked as attended."
            )
        if not note.is_editable and any(
            data.get(f, getattr(session, f)) != getattr(session, f)
            for f in ("starts_at", "duration_minutes")
        ):
            raise NoteError(
                "The note of this session is signed: correct its date, time or duration "
                "with an addendum."
            )
    changes = {}
    for field in SESSION_FIELDS:
        if field in data and data[field] != getattr(session, field):
            old = getattr(session, field)
            changes[field] = [
                old.isoformat() if hasattr(old, "isoformat") else old,
                data[field].isoformat()
                if hasattr(data[field], "isoformat")
                else data[field],
            ]
            setattr(session, field, data[field])
    if not changes:
        return session
    with transaction.atomic():
        session.save(update_fields=[*changes, "updated_at"])
        audit.record(
            "session.update",
            actor=by,
            request=request,
            target=session,
            client_code=session.client.code,
            changes=changes,
        )
    return session


# --- Progress notes -------------------------------------------------------------------------------


def note_open(*, session: TherapySession, by: User, request=None) -> ProgressNote:
    """The session's progress note, created as an empty draft on first open."""
    if session.status != TherapySession.Status.ATTENDED:
        raise NoteError("Only an attended session has a progress note.")
    note = ProgressNote.objects.filter(session=session).first()
    if note is not None:
        return note
    last = (
        ProgressNote.objects.filter(client=session.client, author=by)
        .exclude(session=session)
        .order_by("-created_at")
        .values_list("format", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            note = ProgressNote.objects.create(
                session=session,
                client=session.client,
                author=by,
                format=last or ProgressNote.Format.SOAP,
                sections={},
            )
            audit.record(
                "note.create",
                actor=by,
                request=request,
                target=note,
                client_code=session.client.code,
                changes={"session": str(session.code), "format": note.format},
            )
    except IntegrityError:
        # Opened twice at once (two tabs): the first open created it.
        note = ProgressNote.objects.get(session=session)
    return note


def _note_fields(data: dict) -> dict:
    fields = {}
    fmt = data.get("format")
    if fmt:
        fields["format"] = fmt
    if "sections" in data:
        keys = FORMAT_SECTIONS.get(fmt or data.get("_current_format"), ALL_SECTIONS)
        fields["sections"] = {
            k: data["sections"].get(k, "") for k in keys if data["sections"].get(k)
        }
    for name in _CONTENT_FIELDS:
        if name in ("format", "sections"):
            continue
        if name in data:
            value = data[name]
            if name == "interventions":
                value = list(value or [])
            elif name != "next_session_on" and value is None:
                value = ""
            fields[name] = value
    return fields


def note_save(
    *,
    note: ProgressNote,
    by: User,
    data: dict,
    version: int,
    request=None,
    autosave: bool = False,
) -> ProgressNote:
    """Save a draft (or returned) note if nobody saved it since `version`; return it reloaded.

    The conditional UPDATE (WHERE version = loaded version) makes the second of two
    concurrent saves fail visibly with VersionConflict instead of overwriting the first.
    """
    data = {**data, "_current_format": note.format}
    fields = _note_fields(data)
    with transaction.atomic():
        updated = ProgressNote.objects.filter(
            pk=note.pk,
            version=version,
            status__in=[ProgressNote.Status.DRAFT, ProgressNote.Status.RETURNED],
        ).update(**fields, version=version + 1, updated_at=timezone.now())
        if not updated:
            current = ProgressNote.objects.select_related(
                "session", "client", "author"
            ).get(pk=note.pk)
            if not current.is_editable:
                raise NoteError("This note is signed and can no longer be edited.")
            raise VersionConflict(current)
        if "goals_addressed" in data:
            note.goals_addressed.set(data["goals_addressed"])
        audit.record(
            "note.autosave" if autosave else "note.save",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={
                "version": [version, version + 1],
                "fields": sorted(
                    [
                        *fields,
                        *(["goals_addressed"] if "goals_addressed" in data else []),
                    ]
                ),
            },
        )
    return ProgressNote.objects.select_related("session", "client", "author").get(
        pk=note.pk
    )


def requires_cosignature(user: User) -> bool:
    return (
        Supervision.objects.current()
        .filter(supervisee=user, requires_cosignature=True)
        .exists()
    )


def note_sign(*, note: ProgressNote, by: User, request=None) -> ProgressNote:
    """The author signs: the content hash and attestation are recorded and the note locks.
    A supervisee whose supervision requires co-signature sends it to the supervisor's queue."""
    with transaction.atomic():
        note = (
            ProgressNote.objects.select_for_update(of=("self",))
            .select_related("session", "client", "author")
            .get(pk=note.pk)
        )
        if note.author_id != by.pk or not note.is_editable:
            raise NoteError("This note cannot be signed now.")
        if not note_has_content(note):
            raise NoteError("Write at least one section before signing.")
        now = timezone.now()
        awaiting = requires_cosignature(by)
        status = (
            ProgressNote.Status.AWAITING_COSIGNATURE
            if awaiting
            else ProgressNote.Status.SIGNED
        )
        digest = note_content_hash(note)
        NoteSignature.objects.create(
            note=note,
            kind=NoteSignature.Kind.AUTHOR,
            signer=by,
            signer_name=signer_name(by),
            attestation=author_attestation(note.session),
            content_hash=digest,
            at=now,
        )
        ProgressNote.objects.filter(pk=note.pk).update(
            status=status,
            signed_at=now,
            signed_by=by,
            version=F("version") + 1,
            updated_at=now,
        )
        audit.record(
            "note.sign",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={
                "status": [note.status, status],
                "content_hash": digest,
            },
        )
        _rollup(note.client)
    note.refresh_from_db()
    return note


def note_cosign(*, note: ProgressNote, by: User, request=None) -> ProgressNote:
    """The supervisor co-signs a note awaiting co-signature; it is then signed and locked."""
    from ipnb_notes import access

    with transaction.atomic():
        note = (
            ProgressNote.objects.select_for_update(of=("self",))
            .select_related("session", "client", "author")
            .get(pk=note.pk)
        )
        if not access.can_cosign(by, note):
            raise NoteError("This note is not waiting for your co-signature.")
        now = timezone.now()
        digest = note_content_hash(note)
        NoteSignature.objects.create(
            note=note,
            kind=NoteSignature.Kind.COSIGN,
            signer=by,
            signer_name=signer_name(by),
            attestation=cosign_attestation(note.session),
            content_hash=digest,
            at=now,
        )
        ProgressNote.objects.filter(pk=note.pk).update(
            status=ProgressNote.Status.SIGNED,
            cosigned_at=now,
            cosigned_by=by,
            version=F("version") + 1,
            updated_at=now,
        )
        audit.record(
            "note.cosign",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={"status": [note.status, ProgressNote.Status.SIGNED]},
        )
        _rollup(note.client)
    note.refresh_from_db()
    return note


def note_return(
    *, note: ProgressNote, by: User, comment: str, request=None
) -> ProgressNote:
    """The supervisor returns a note for revision with a comment; the author can edit it again."""
    from ipnb_notes import access

    if not comment.strip():
        raise NoteError("Say what needs revising.")
    with transaction.atomic():
        note = (
            ProgressNote.objects.select_for_update(of=("self",))
            .select_related("session", "client", "author")
            .get(pk=note.pk)
        )
        if not access.can_cosign(by, note):
            raise NoteError("This note is not waiting for your co-signature.")
        now = timezone.now()
        SupervisionComment.objects.create(
            note=note, author=by, kind=SupervisionComment.Kind.RETURN, text=comment
        )
        NoteSignature.objects.create(
            note=note,
            kind=NoteSignature.Kind.RETURN,
            signer=by,
            signer_name=signer_name(by),
            attestation="Returned for revision.",
            content_hash=note_content_hash(note),
            at=now,
        )
        ProgressNote.objects.filter(pk=note.pk).update(
            status=ProgressNote.Status.RETURNED,
            signed_at=None,
            signed_by=None,
            version=F("version") + 1,
            updated_at=now,
        )
        audit.record(
            "note.return",
            actor=by,
            request=request,
            target=note,
            client_code=note.client.code,
            changes={"status": [note.status, ProgressNote.Status.RETURNED]},
        )
        _rollup(note.client)
    note.refresh_from_db()
    return note


ANCHOR_MODELS = {
    "attunement": "AttunementMoment",
    "rupture": "RuptureEvent",
    "repair": "RepairEvent",
    "arousal": "ArousalObservation",
}


def anchor_exists(note: ProgressNote, anchor_type: str, anchor_code) -> bool:
    from sessions import models

    model = getattr(models, ANCHOR_MODELS[anchor_type])
    return model.objects.filter(session_id=note.session_id, code=anchor_code).exists()


def comment_add(
    *,
    note: ProgressNote,
    by: User,
    text: str,
    anchor_type: str = "",
    anchor_code=None,
    idempotency_key=None,
    request=None,
) -> SupervisionComment:
    """A supervisor's comment on a supervisee's note, optionally beside one event."""
    if idempotency_key:
        existing = SupervisionComment.objects.filter(
            idempotency_key=idempotency_key, note=note, author=by
        ).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            comment = SupervisionComment.objects.create(
                note=note,
                author=by,
                text=text,
                anchor_type=anchor_type or "",
                anchor_code=anchor_code if anchor_type else None,
                idempotency_key=idempotency_key,
            )
            audit.record(
                "note.comment",
                actor=by,
                request=request,
                target=note,
                client_code=note.client.code,
                changes={
                    "comment": str(comment.code),
                    "anchor_type": anchor_type or "",
                    "anchor_code": str(anchor_code) if anchor_type else "",
                },
            )
    except IntegrityError:
        existing = SupervisionComment.objects.filter(
            idempotency_key=idempotency_key
        ).first()
        if existing is None:
            raise
        return existing
    return comment


def addendum_add(
    *, note: ProgressNote, by: User, text: str, idempotency_key=None, request=None
) -> Addendum:
    """The author adds a signed addendum to a signed note (the note itself never changes)."""
    if note.author_id != by.pk or note.status not in (
        ProgressNote.Status.SIGNED,
        ProgressNote.Status.AWAITING_COSIGNATURE,
    ):
        raise NoteError("Only the author of a signed note can add an addendum.")
    if idempotency_key:
        existing = Addendum.objects.filter(
            idempotency_key=idempotency_key, note=note, author=by
        ).first()
        if existing:
            return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            addendum = Addendum.objects.create(
                note=note,
                author=by,
                text=text,
                signer_name=signer_name(by),
                attestation=addendum_attestation(note),
                content_hash=content_hash(
                    json.dumps(
                        {"note": str(note.code), "text": text, "at": now.isoformat()},
                        sort_keys=True,
                        ensure_ascii=False,
                    )
                ),
                signed_at=now,
                idempotency_key=idempotency_key,
            )
            audit.record(
                "note.addendum",
                actor=by,
                request=request,
                target=note,
                client_code=note.client.code,
                changes={"addendum": str(addendum.code)},
            )
            _rollup(note.client)
    except IntegrityError:
        existing = Addendum.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    return addendum


def last_signed_plan(*, note: ProgressNote) -> str:
    """The plan of the client's previous signed note (the starting point for this one)."""
    previous = (
        ProgressNote.objects.filter(
            client_id=note.client_id,
            status__in=[
                ProgressNote.Status.SIGNED,
                ProgressNote.Status.AWAITING_COSIGNATURE,
            ],
            session__starts_at__lt=note.session.starts_at,
        )
        .order_by("-session__starts_at")
        .only("plan")
        .first()
    )
    return previous.plan if previous else ""


def note_view_audit(*, note: ProgressNote, by: User, request=None) -> None:
    audit.record(
        "note.view",
        actor=by,
        request=request,
        target=note,
        client_code=note.client.code,
    )


def session_view_audit(
    *, session: TherapySession, by: User, request=None, note=None
) -> None:
    """Record a read of the session page, and of the note shown on it (code and status)."""
    audit.record(
        "session.view",
        actor=by,
        request=request,
        target=session,
        client_code=session.client.code,
        changes={"note": str(note.code), "note_status": note.status} if note else {},
    )


def process_note_view_audit(
    *, pnote: PsychotherapyNote, by: User, request=None
) -> None:
    audit.record(
        "process_note.view",
        actor=by,
        request=request,
        target=pnote,
        client_code=pnote.session.client.code,
    )


# --- Psychotherapy (process) notes ------------------------------------------------------------------


def process_note_open(*, session: TherapySession, by: User) -> PsychotherapyNote:
    """The author's own process note of a session, created empty on first open."""
    pnote, _ = PsychotherapyNote.objects.get_or_create(session=session, author=by)
    return pnote


def process_note_save(
    *,
    pnote: PsychotherapyNote,
    by: User,
    text: str,
    version: int,
    request=None,
    autosave: bool = False,
) -> PsychotherapyNote:
    """Save the author's process note if unchanged since `version` (else VersionConflict)."""
    with transaction.atomic():
        updated = PsychotherapyNote.objects.filter(
            pk=pnote.pk, author=by, version=version
        ).update(text=text, version=version + 1, updated_at=timezone.now())
        if not updated:
            raise VersionConflict(PsychotherapyNote.objects.get(pk=pnote.pk))
        audit.record(
            "process_note.autosave" if autosave else "process_note.save",
            actor=by,
            request=request,
            target=pnote,
            client_code=pnote.session.client.code,
            changes={"version": [version, version + 1]},
        )
    return PsychotherapyNote.objects.get(pk=pnote.pk)


# --- Home page --------------------------------------------------------------------------------------


@dataclass
class HomeRow:
    session: TherapySession
    note: ProgressNote | None
    late: bool


def home_context(user: User, *, limit: int = 50) -> dict:
    """Today's sessions, notes to write (oldest first, late after 48 h), drafts, returned notes
    and, for supervisors, the co-signature queue. A fixed number of queries, whatever the data."""
    from ipnb_notes import access

    now = timezone.now()
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    mine = access.visible_sessions(user).filter(therapist=user)
    today_sessions = list(
        mine.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
        .select_related("client", "note")
        .order_by("starts_at")[:limit]
    )
    to_write = list(
        mine.filter(
            status=TherapySession.Status.ATTENDED,
            starts_at__lt=now,
            note__isnull=True,
        )
        .select_related("client")
        .order_by("starts_at")[:limit]
    )
    notes = (
        access.visible_notes(user)
        .filter(author=user)
        .select_related("session", "client")
        .order_by("session__starts_at")
    )
    drafts = list(notes.filter(status=ProgressNote.Status.DRAFT)[:limit])
    returned = list(
        notes.filter(status=ProgressNote.Status.RETURNED).prefetch_related(
            Prefetch(
                "comments",
                queryset=SupervisionComment.objects.filter(
                    kind=SupervisionComment.Kind.RETURN
                ).select_related("author"),
                to_attr="return_comments",
            )
        )[:limit]
    )
    for s in to_write:
        s.is_late = now - s.ends_at > LATE_AFTER
    for n in drafts:
        n.is_late = now - n.session.ends_at > LATE_AFTER
    for n in returned:
        n.return_comment = n.return_comments[-1] if n.return_comments else None
    context = {
        "today_sessions": today_sessions,
        "to_write": to_write,
        "drafts": drafts,
        "returned": returned,
    }
    if user.is_supervisor:
        context["cosign_queue"] = list(
            access.cosignature_queue(user).select_related(
                "session", "client", "author"
            )[:limit]
        )
    return context
