"""Who may see or change what. The only module that says so.

Rules (DESIGN.md section 4):
- Practice admins manage accounts, roles, supervision links and caseload assignments.
  They read no clinical text.
- Not visible answers 404, exactly like not existing; visible but not allowed answers 403.
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Supervision, User


def require_admin(user: User) -> None:
    """Account administration is for practice admins alone; others get 404 (not advertised)."""
    if not (user.is_authenticated and user.is_active and user.is_practice_admin):
        raise Http404


def require_clinician(user: User) -> None:
    """Clinical pages are for therapists and supervisors; admins get 404."""
    if not (user.is_authenticated and user.is_active and user.is_clinician):
        raise Http404


def manageable_users(user: User) -> QuerySet[User]:
    """Accounts a practice admin manages: all of them."""
    require_admin(user)
    return User.objects.all()


def get_managed_user(user: User, code: UUID) -> User:
    """Fetch an account for a practice admin; 404 for everyone else."""
    return get_object_or_404(manageable_users(user), code=code)


def get_managed_supervision(user: User, code: UUID) -> Supervision:
    require_admin(user)
    return get_object_or_404(
        Supervision.objects.select_related("supervisor", "supervisee"), code=code
    )


def supervisor_choices(user: User) -> QuerySet[User]:
    """Users an admin may pick as a supervisor."""
    require_admin(user)
    return User.objects.filter(role=User.Role.SUPERVISOR, is_active=True)


def current_supervisees(user: User) -> QuerySet[User]:
    """Therapists this user currently supervises."""
    return User.objects.filter(
        supervisions_received__in=Supervision.objects.current().filter(supervisor=user)
    ).distinct()


def require_post_allowed(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
