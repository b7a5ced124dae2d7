"""Plain make_* helpers with keyword overrides (djangoproject.com's checklists factory style)."""

from __future__ import annotations

import itertools
from datetime import date

from accounts.models import Supervision, User

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(**kwargs) -> User:
    n = next(_seq)
    kwargs.setdefault("email", f"user{n}@example.org")
    kwargs.setdefault("full_name", f"User {n}")
    kwargs.setdefault("role", User.Role.THERAPIST)
    password = kwargs.pop("password", PASSWORD)
    return User.objects.create_user(password=password, **kwargs)


def make_supervision(supervisor: User, supervisee: User, **kwargs) -> Supervision:
    kwargs.setdefault("started_on", date(2025, 1, 1))
    return Supervision.objects.create(
        supervisor=supervisor, supervisee=supervisee, **kwargs
    )


def make_client(therapist: User | None = None, **kwargs):
    """A client, assigned to `therapist` as primary therapist when given."""
    from clients.models import CaseAssignment, Client

    n = next(_seq)
    kwargs.setdefault("legal_name", f"Client Number{n}")
    kwargs.setdefault("intake_date", date(2025, 1, 6))
    client = Client.objects.create(**kwargs)
    if therapist is not None:
        CaseAssignment.objects.create(
            client=client, therapist=therapist, started_on=date(2025, 1, 6)
        )
    return client


def make_session(client, therapist: User, **kwargs):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sessions.models import TherapySession

    kwargs.setdefault(
        "starts_at", datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    )
    kwargs.setdefault("status", TherapySession.Status.ATTENDED)
    return TherapySession.objects.create(client=client, therapist=therapist, **kwargs)


def make_note(session, **kwargs):
    """A draft progress note for an attended session (sign it through the service)."""
    from sessions.models import ProgressNote

    kwargs.setdefault("author", session.therapist)
    kwargs.setdefault(
        "sections",
        {"subjective": "Client reports a calmer week.", "plan": "Continue weekly."},
    )
    return ProgressNote.objects.create(session=session, client=session.client, **kwargs)


def make_goal(client, created_by: User, **kwargs):
    from clients.models import TreatmentGoal

    kwargs.setdefault("text", "Notice early signs of overwhelm and use a grounding practice.")
    return TreatmentGoal.objects.create(client=client, created_by=created_by, **kwargs)


def make_assignment(client, therapist: User, **kwargs):
    """An open case assignment (co-therapist unless role is given)."""
    from clients.models import CaseAssignment

    kwargs.setdefault("role", CaseAssignment.Role.CO_THERAPIST)
    kwargs.setdefault("started_on", date(2025, 1, 6))
    return CaseAssignment.objects.create(client=client, therapist=therapist, **kwargs)
