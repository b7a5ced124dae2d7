"""State changes to clients, goals and caseload assignments. Each one writes an audit event.

Audit rule for this app: clinical text and identifying details (names, contact, date of
birth, diagnoses, presenting concerns, goal text) are logged by field NAME only; statuses,
record dates and therapist codes are logged with their old and new values.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.models import User
from clients.models import CaseAssignment, Client, EmergencyAccess, TreatmentGoal
from ipnb_notes import outbox

# Fields whose old and new values may go into the audit trail (no PHI: record dates, statuses).
VALUE_LOGGED = {
    "status",
    "intake_date",
    "discharge_date",
    "consent_to_treatment_on",
    "target_date",
}

CLIENT_FIELDS = [
    "legal_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "status",
    "intake_date",
    "discharge_date",
    "consent_to_treatment_on",
    "presenting_concerns",
    "diagnoses",
]


class AssignmentError(Exception):
    """A caseload rule was broken; the message is shown to the admin."""


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changed = [name for name in new if old.get(name) != new[name]]
    changes: dict[str, Any] = {}
    text_fields = sorted(name for name in changed if name not in VALUE_LOGGED)
    if text_fields:
        changes["fields"] = text_fields
    for name in changed:
        if name in VALUE_LOGGED:
            changes[name] = [old.get(name), new[name]]
    return changes


def client_create(
    *,
    data: dict[str, Any],
    by: User,
    idempotency_key: UUID | None = None,
    request=None,
) -> Client:
    """Create a client with `by` as primary therapist. A repeated idempotency key returns the
    client the first submission created instead of a second one. The key is scoped to `by`:
    what is stored is derived from the user and the form's key, so the same key sent by
    another user creates that user's own client and never hands back this one."""
    if idempotency_key:
        idempotency_key = uuid.uuid5(idempotency_key, f"client_create:user:{by.pk}")
        existing = Client.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    values = {name: data[name] for name in CLIENT_FIELDS if name in data}
    try:
        with transaction.atomic():
            client = Client.objects.create(idempotency_key=idempotency_key, **values)
            CaseAssignment.objects.create(
                client=client,
                therapist=by,
                role=CaseAssignment.Role.PRIMARY,
                started_on=timezone.localdate(),
            )
            audit.record(
                "client.create",
                actor=by,
                request=request,
                target=client,
                client_code=client.code,
                changes={
                    **_changes({}, {k: v for k, v in values.items() if v}),
                    "primary_therapist": [None, str(by.code)],
                },
            )
    except IntegrityError:
        # A concurrent submission with the same key won the race; hand back its client.
        existing = Client.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return existing
        raise
    return client


def client_update(
    *, client: Client, data: dict[str, Any], by: User, request=None
) -> Client:
    """Save edits by an assigned therapist; the audit event names the fields that changed."""
    values = {name: data[name] for name in CLIENT_FIELDS if name in data}
    with transaction.atomic():
        # Compare with the stored row, not the instance: a ModelForm has already copied the
        # submitted values onto the instance while validating.
        stored = Client.objects.select_for_update().get(pk=client.pk)
        changes = _changes({name: getattr(stored, name) for name in values}, values)
        if not changes:
            return stored
        for name, value in values.items():
            setattr(stored, name, value)
        stored.save()
        audit.record(
            "client.update",
            actor=by,
            request=request,
            target=stored,
            client_code=stored.code,
            changes=changes,
        )
    return stored


def goal_create(
    *, client: Client, text: str, target_date: date | None, by: User, request=None
) -> TreatmentGoal:
    """Add an active treatment goal to a client on `by`'s caseload."""
    with transaction.atomic():
        goal = TreatmentGoal.objects.create(
            client=client, text=text, target_date=target_date, created_by=by
        )
        audit.record(
            "goal.create",
            actor=by,
            request=request,
            target=goal,
            client_code=client.code,
            changes=_changes(
                {},
                {
                    "text": text,
                    "target_date": target_date,
                    "status": goal.status,
                },
            ),
        )
    return goal


def goal_update(
    *, goal: TreatmentGoal, data: dict[str, Any], by: User, request=None
) -> TreatmentGoal:
    """Change a goal's text, target date or status (active / met / revised / dropped)."""
    values = {
        name: data[name] for name in ("text", "target_date", "status") if name in data
    }
    with transaction.atomic():
        # The stored row, not the instance a ModelForm may already have changed.
        stored = TreatmentGoal.objects.select_for_update().get(pk=goal.pk)
        changes = _changes({name: getattr(stored, name) for name in values}, values)
        if not changes:
            return stored
        for name, value in values.items():
            setattr(stored, name, value)
        stored.save()
        audit.record(
            "goal.update",
            actor=by,
            request=request,
            target=stored,
            client_code=goal.client.code,
            changes=changes,
        )
    return stored


# --- Caseload assignment (practice admins) ------------------------------------------------------


def _current_primary(client: Client) -> CaseAssignment | None:
    return (
        CaseAssignment.objects.select_related("therapist")
        .filter(client=client, role=CaseAssignment.Role.PRIMARY, ended_at__isnull=True)
        .first()
    )


def _end(assignment: CaseAssignment, at, *, by: User, request=None) -> bool:
    """End an assignment at the moment `at`: from then on it grants nothing. One that has not
    started yet is deleted instead (so that it grants no access on its start day), with an
    audit event holding the values it had. True if it was ended, False if it was deleted."""
    if assignment.started_on > timezone.localdate(at):
        changes = {
            "therapist": [str(assignment.therapist.code), None],
            "role": [assignment.role, None],
            "started_on": [assignment.started_on, None],
        }
        code = assignment.code
        assignment.delete()
        audit.record(
            "client.assignment_delete",
            actor=by,
            request=request,
            target_type=CaseAssignment._meta.label_lower,
            target_code=str(code),
            client_code=assignment.client.code,
            changes=changes,
        )
        return False
    assignment.ended_at = at
    assignment.save(update_fields=["ended_at"])
    return True


def client_assign_primary(
    *,
    client: Client,
    therapist: User,
    by: User,
    request=None,
    transfer: bool = False,
) -> CaseAssignment:
    """Make `therapist` the primary therapist from now: the old primary assignment ends at this
    moment (and a co-therapist assignment of the new primary becomes the primary one)."""
    if not therapist.is_clinician or not therapist.is_active:
        raise AssignmentError(
            "Only an active therapist or supervisor can hold a caseload."
        )
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        # Lock the client's open assignments: two admins reassigning at once must not both
        # pass the "who is primary now" check.
        list(
            CaseAssignment.objects.select_for_update()
            .filter(client=client, ended_at__isnull=True)
            .values_list("pk", flat=True)
        )
        old = _current_primary(client)
        if old is not None and old.therapist_id == therapist.pk:
            raise AssignmentError(f"{therapist} is already the primary therapist.")
        old_ended = old is not None and _end(old, now, by=by, request=request)
        co = CaseAssignment.objects.filter(
            client=client, therapist=therapist, ended_at__isnull=True
        ).first()
        co_ended = co is not None and _end(co, now, by=by, request=request)
        new = CaseAssignment.objects.create(
            client=client,
            therapist=therapist,
            role=CaseAssignment.Role.PRIMARY,
            started_on=today,
        )
        changes = {
            "primary_therapist": [
                str(old.therapist.code) if old else None,
                str(therapist.code),
            ],
            "started_on": [None, today],
        }
        if old_ended:
            changes["ended_at"] = [None, old.ended_at.isoformat()]
        if co_ended:
            changes["co_therapist_ended"] = [
                str(therapist.code),
                co.ended_at.isoformat(),
            ]
        if transfer:
            changes["via"] = "caseload_transfer"
        audit.record(
            "client.assign_primary",
            actor=by,
            request=request,
            target=new,
            client_code=client.code,
            changes=changes,
        )
    return new


def cotherapist_add(
    *, client: Client, therapist: User, by: User, request=None
) -> CaseAssignment:
    """Add a co-therapist to a client from today."""
    if not therapist.is_clinician or not therapist.is_active:
        raise AssignmentError(
            "Only an active therapist or supervisor can be a co-therapist."
        )
    today = timezone.localdate()
    with transaction.atomic():
        if CaseAssignment.objects.filter(
            client=client, therapist=therapist, ended_at__isnull=True
        ).exists():
            raise AssignmentError(f"{therapist} is already assigned to this client.")
        try:
            with transaction.atomic():
                assignment = CaseAssignment.objects.create(
                    client=client,
                    therapist=therapist,
                    role=CaseAssignment.Role.CO_THERAPIST,
                    started_on=today,
                )
        except IntegrityError as exc:
            raise AssignmentError(
                f"{therapist} is already assigned to this client."
            ) from exc
        audit.record(
            "client.cotherapist_add",
            actor=by,
            request=request,
            target=assignment,
            client_code=client.code,
            changes={
                "co_therapist": [None, str(therapist.code)],
                "started_on": [None, today],
            },
        )
    return assignment


def assignment_end(
    *, assignment: CaseAssignment, by: User, request=None
) -> CaseAssignment:
    """End a co-therapist assignment at this moment (one that has not started yet is deleted).
    A primary assignment is replaced, never just ended, so that every active client keeps a
    therapist responsible for it."""
    if assignment.ended_at is not None:
        raise AssignmentError("This assignment has already ended.")
    if assignment.role == CaseAssignment.Role.PRIMARY:
        raise AssignmentError(
            "Assign another primary therapist instead: the client would be left without one."
        )
    with transaction.atomic():
        if not _end(assignment, timezone.now(), by=by, request=request):
            return assignment
        audit.record(
            "client.assignment_end",
            actor=by,
            request=request,
            target=assignment,
            client_code=assignment.client.code,
            changes={
                "co_therapist": [str(assignment.therapist.code), None],
                "ended_at": [None, assignment.ended_at.isoformat()],
            },
        )
    return assignment


def caseload_transfer(
    *, from_therapist: User, to_therapist: User, by: User, request=None
) -> list[Client]:
    """Move every open primary assignment of `from_therapist` to `to_therapist` in one
    transaction (e.g. when a therapist leaves). Returns the clients moved."""
    if from_therapist.pk == to_therapist.pk:
        raise AssignmentError("Choose a different therapist to receive the caseload.")
    with transaction.atomic():
        clients = list(
            Client.objects.filter(
                assignments__therapist=from_therapist,
                assignments__role=CaseAssignment.Role.PRIMARY,
                assignments__ended_at__isnull=True,
            ).order_by("pk")
        )
        for client in clients:
            client_assign_primary(
                client=client,
                therapist=to_therapist,
                by=by,
                request=request,
                transfer=True,
            )
        audit.record(
            "caseload.transfer",
            actor=by,
            request=request,
            target=from_therapist,
            changes={
                "primary_therapist": [str(from_therapist.code), str(to_therapist.code)],
                "clients": [str(c.code) for c in clients],
                "on": timezone.localdate(),
            },
        )
    return clients


# Break-glass: a designated clinician's time-boxed, read-only access to one client's record.


def emergency_access_grant(*, user: User, client, reason: str, request=None):
    """Open one client's record read-only for BREAK_GLASS_MINUTES. Audited, and the client's
    therapists, the practice admins and the user themself are emailed at once (who, when and a
    link; never the client's name; the reason is on the page)."""
    from datetime import timedelta

    from ipnb_notes import access

    # The page checks this already; the service checks again so that no other caller (a
    # command, a task, a future view) can open a record for someone who is not designated.
    access.require_break_glass(user)
    now = timezone.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            user=user,
            client=client,
            reason=reason.strip(),
            granted_at=now,
            expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        audit.record(
            "emergency_access.grant",
            actor=user,
            request=request,
            target=grant,
            client_code=client.code,
            changes={
                "expires_at": grant.expires_at.isoformat(),
                "minutes": settings.BREAK_GLASS_MINUTES,
            },
        )
    outbox.enqueue("clients.tasks.emergency_access_notify", grant.id)
    return grant


def emergency_access_lookup(*, user: User, query: str, request=None) -> list:
    """Find the client an emergency grant should name: by exact client code, or by a name
    search (at least 3 characters, checked by the form). At most 20 matches. Audited; a name
    searched for is recorded only by its length, never in clear (it may name a client)."""
    from uuid import UUID

    from django.db.models import Q

    from ipnb_notes import access

    clients = access.break_glass_clients(user)
    try:
        code = UUID(query)
    except ValueError:
        code = None
    if code is not None:
        matches = list(clients.filter(code=code))
        changes = {"by": "code", "matches": len(matches)}
    else:
        matches = list(
            clients.filter(
                Q(legal_name__icontains=query) | Q(preferred_name__icontains=query)
            ).order_by("legal_name", "pk")[:20]
        )
        changes = {"by": "name", "length": len(query), "matches": len(matches)}
    audit.record(
        "emergency_access.lookup",
        actor=user,
        request=request,
        client_code=code if matches and code is not None else None,
        changes=changes,
    )
    return matches


def emergency_access_notify(grant_id: int) -> int:
    """Email the client's current therapists, every active practice admin (the privacy
    officer's role here) and the user who opened the record (so that a grant made with their
    account without their knowledge does not go unseen). No client name in the email: it
    travels outside the app."""
    from django.urls import reverse

    from accounts.models import User

    grant = EmergencyAccess.objects.select_related("user", "client").get(pk=grant_id)
    therapists = User.objects.filter(
        pk__in=CaseAssignment.objects.current()
        .filter(client=grant.client)
        .values("therapist_id"),
        is_active=True,
    )
    admins = User.objects.filter(role=User.Role.ADMIN, is_active=True)
    recipients = sorted({u.email for u in [*therapists, *admins, grant.user]})
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse(
        "clients:client_detail", args=[grant.client.code]
    )
    with transaction.atomic():
        # REL-07: once per grant. A redelivered task finds the row and sends nothing; a
        # failed send rolls the row back, so the retry sends.
        if not outbox.claim_notification("emergency_access", grant.pk):
            return 0
        _send_emergency_notice(grant, recipients, link)
    return len(recipients)


def _send_emergency_notice(grant, recipients: list[str], link: str) -> None:
    from django.core.mail import send_mail

    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Emergency access to a client record",
        message=(
            f"{grant.user} ({grant.user.email}) used emergency access to open a client's "
            f"record at {timezone.localtime(grant.granted_at):%Y-%m-%d %H:%M %Z}, "
            f"read-only until {timezone.localtime(grant.expires_at):%Y-%m-%d %H:%M %Z}.\n\n"
            f"The reason they gave is shown on the client's page: {link}\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
