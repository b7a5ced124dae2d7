"""What the practice admin's account pages show beyond the account itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import User
from clients.models import CaseAssignment, Client


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
