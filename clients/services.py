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

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.models import User
from clients.models import CaseAssignment, Client, TreatmentGoal

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
