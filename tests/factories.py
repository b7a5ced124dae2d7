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
