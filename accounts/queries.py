"""What the practice admin's account pages show beyond the account itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, JSONObject, NullIf

from accounts import mfa
from accounts.models import Supervision, User
from clients.models import CaseAssignment, Client
from ipnb_notes import access, batch


@dataclass(frozen=True)
class OpenCaseload:
    """How many clients in care (not discharged) still have this clinician as their primary
    therapist or as a co-therapist: counts only, no names."""

    primary: int = 0
    co_therapist: int = 0

    @property
    def total(self) -> int:
        return self.primary + self.co_therapist

    @property
    def by_role(self) -> list[tuple[str, int]]:
        """(the assignment role's label, how many clients), for the pages."""
        Role = CaseAssignment.Role
        return [
            (Role.PRIMARY.label, self.primary),
            (Role.CO_THERAPIST.label, self.co_therapist),
        ]

    def as_changes(self) -> dict[str, int]:
        """For an audit event: the counts, never the clients."""
        return {"primary": self.primary, "co_therapist": self.co_therapist}


def open_caseload(user: User) -> OpenCaseload:
    """Open assignments (not ended, including those that start later) of clients in care, by
    role, in one statement. The caseload transfer moves the same primary assignments."""
    Role = CaseAssignment.Role
    counts = (
        CaseAssignment.objects.filter(therapist=user, ended_at__isnull=True)
        .exclude(client__status=Client.Status.DISCHARGED)
        .aggregate(
            primary=Count("client", distinct=True, filter=Q(role=Role.PRIMARY)),
            co_therapist=Count(
                "client", distinct=True, filter=Q(role=Role.CO_THERAPIST)
            ),
        )
    )
    return OpenCaseload(primary=counts["primary"], co_therapist=counts["co_therapist"])


# --- The practice admin's user list -------------------------------------------------------------

USERS_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class UserRow:
    """One account as the user list prints it: plain values read by the list's statement, no
    model instance, never the password hash (only whether a usable one is set)."""

    code: UUID
    full_name: str
    credentials: str
    email: str
    role: str
    last_login: datetime | None
    invited: bool  # no usable password yet: the invitation is not accepted
    is_active: bool
    # The current supervisors, by name: {"name": str(supervisor), "cosigns": bool}.
    supervisors: list[dict]
    second_factor: mfa.SecondFactorSummary


_ROW_FIELDS = (
    "code",
    "full_name",
    "credentials",
    "email",
    "role",
    "last_login",
    "invited",
    "is_active",
    "supervisors",
    "authenticator_types",
    "total",
)


def _user_rows(users: QuerySet[User]) -> QuerySet:
    """The list's rows of `users` (filtered and ordered), each with the current supervisors,
    the kinds of authenticator and the count of every matching user (a window over the
    filtered users, before LIMIT and OFFSET): the page and its count in one statement."""
    current = (
        Supervision.objects.current()
        .filter(supervisee=OuterRef("pk"))
        .order_by("supervisor__full_name", "pk")
        .values(
            link=JSONObject(
                # str(User): the full name, or the email when it is empty.
                name=Coalesce(
                    NullIf("supervisor__full_name", Value("")), "supervisor__email"
                ),
                cosigns="requires_cosignature",
            )
        )
    )
    return (
        mfa.with_second_factor(users)
        .annotate(
            supervisors=ArraySubquery(current),
            invited=ExpressionWrapper(
                Q(password__startswith=UNUSABLE_PASSWORD_PREFIX),
                output_field=BooleanField(),
            ),
            total=Window(Count("pk")),
        )
        .values_list(*_ROW_FIELDS)
    )


def _row(values: tuple) -> UserRow:
    *fields, kinds, _total = values
    return UserRow(*fields, second_factor=mfa.SecondFactorSummary(kinds))


USER_SORTS = {
    "name": "full_name",
    "email": "email",
    "role": "role",
    "last_login": "last_login",
}


def _matching(
    user: User, q: str, *, role: str, status: str, second_factor: str, sort: str
) -> QuerySet:
    """The list's rows of every account the admin manages that matches: searched by name or
    email (`q`), filtered (valid values or ""), sorted by a USER_SORTS key."""
    users = access.manageable_users(user)
    if q:
        users = users.filter(Q(full_name__icontains=q) | Q(email__icontains=q))
    if role:
        users = users.filter(role=role)
    if status:
        users = users.filter(is_active=status == "active")
    users = mfa.filter_second_factor(users, second_factor)
    return _user_rows(users.order_by(USER_SORTS[sort], "id"))


def _user_list(user: User, q: str = "", *, start: int, **filters: str) -> QuerySet:
    """One page of the matching rows, from `start`."""
    return _matching(user, q, **filters)[start : start + USERS_PER_PAGE]


# Without a search term the list's statement has the same shape on every request, but for
# its filters and page: built and compiled once per shape (the term, typed text, is a value
# Baked cannot place; a search builds its statement each time). Pages past BAKED_PAGES are
# built each time too, so that no page number asked for adds a shape to keep.
_USER_LIST = batch.Baked(_user_list)
BAKED_PAGES = 20


def user_list_page(
    user: User,
    q: str,
    *,
    role: str,
    status: str,
    second_factor: str,
    sort: str,
    number: str | int | None,
) -> Page:
    """The page `number` of the list, as the Paginator's get_page would give it: a number
    that is not one is the first page, one out of range the last. A page in range costs one
    round trip (its rows carry the count); one out of range costs two more."""
    try:
        wanted = int(number)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        wanted = 1
    shape = {
        "role": role,
        "status": status,
        "second_factor": second_factor,
        "sort": sort,
    }
    if wanted >= 1:
        start = (wanted - 1) * USERS_PER_PAGE
        if q or wanted > BAKED_PAGES:
            (found,) = batch.fetch(_user_list(user, q, start=start, **shape))
        else:
            (found,) = batch.fetch(*_USER_LIST(user, start=start, **shape))
        if found or wanted == 1:
            paginator = Paginator((), USERS_PER_PAGE)
            # A cached_property: the count comes with the rows (no row on the first page:
            # nothing matches).
            paginator.count = found[0][-1] if found else 0
            return Page([_row(r) for r in found], wanted, paginator)
    # Out of range: the last page, counted first (Paginator.get_page's rule).
    matching = _matching(user, q, **shape)
    paginator = Paginator(matching, USERS_PER_PAGE)
    last = paginator.num_pages
    start = (last - 1) * USERS_PER_PAGE
    found = list(matching[start : start + USERS_PER_PAGE])
    return Page([_row(r) for r in found], last, paginator)
