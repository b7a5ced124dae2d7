"""Read-only queries behind the caseload list, the client page and the assignment pages.

Every list is built from annotations and one prefetch, so the number of queries does not grow
with the number of clients, sessions or goals shown (tests pin the counts).
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from types import SimpleNamespace
from typing import NamedTuple
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from accounts.models import User
from clients.models import CaseAssignment, Client, TreatmentGoal
from ipnb_notes import batch, clock, links

CASELOAD_SORTS = {
    "name": [Lower("sort_name").asc(), "pk"],
    "last_session": [F("last_session_at").desc(nulls_last=True), "pk"],
    "next_session": [F("next_session_at").asc(nulls_last=True), "pk"],
    "intake": [F("intake_date").desc(nulls_last=True), "pk"],
}
CASELOAD_COLUMNS = ("code", "legal_name", "preferred_name", "pronouns", "status")
STATUS_FILTERS = {"waitlist", "active", "discharged", "all"}
TIMELINE_PER_PAGE = 25
CASELOAD_PER_PAGE = 50
# What the client page's timeline prints of each session (clients/_timeline_rows.html).
TIMELINE_FIELDS = (
    "code",
    "starts_at",
    "status",
    "modality",
    "setting",
    "therapist__full_name",
    "therapist__email",
    "note__code",
    "note__status",
    "note__author_id",
)


def day(value: date | datetime) -> str:
    """A day as the client page prints it: Django's |date:"M j, Y" of the value (a datetime
    in the current time zone first), without the date filter's format machinery."""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return value.strftime("%b %-d, %Y")


# Passed to a Jinja2 partial through {% jinja %}: the Django template hands it over uncalled.
day.do_not_call_in_templates = True


def therapist_name(full_name: str, email: str) -> str:
    """A user's name as str(user) prints it (accounts.models.User.__str__), from two
    columns of a plain row."""
    return User.__str__(SimpleNamespace(full_name=full_name, email=email))


def _primary(field: str) -> Subquery:
    return Subquery(
        CaseAssignment.objects.current()
        .filter(client=OuterRef("pk"), role=CaseAssignment.Role.PRIMARY)
        .order_by("-started_on", "-pk")
        .values(field)[:1]
    )


def caseload(
    clients: QuerySet[Client],
    *,
    user: User,
    q: str = "",
    status: str = "active",
    sort: str = "name",
) -> QuerySet[Client]:
    """The caseload list: clients annotated with primary therapist, last and next session, and
    whether they are on the user's own caseload (supervisees' clients are read-only)."""
    from sessions.models import TherapySession

    now = clock.now()  # a stand-in while the first page is baked
    sessions = TherapySession.objects.filter(client=OuterRef("pk"))
    # The list shows a few columns: the encrypted and long ones stay in the database.
    clients = clients.only(*CASELOAD_COLUMNS).annotate(
        sort_name=Coalesce(NullIf("preferred_name", Value("")), "legal_name"),
        primary_name=_primary("therapist__full_name"),
        is_own=Exists(
            CaseAssignment.objects.current().filter(
                client=OuterRef("pk"), therapist=user
            )
        ),
        last_session_at=Subquery(
            sessions.filter(starts_at__lte=now, status=TherapySession.Status.ATTENDED)
            .order_by("-starts_at")
            .values("starts_at")[:1]
        ),
        next_session_at=Subquery(
            sessions.filter(starts_at__gt=now, status=TherapySession.Status.SCHEDULED)
            .order_by("starts_at")
            .values("starts_at")[:1]
        ),
    )
    if q:
        clients = clients.filter(
            Q(legal_name__icontains=q) | Q(preferred_name__icontains=q)
        )
    if status != "all":
        clients = clients.filter(status=status.upper())
    return clients.order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["name"]))


class CaseloadRow(NamedTuple):
    """One client of the caseload list as its rows print it (clients/_caseload_rows.html)."""

    code: UUID
    legal_name: str
    display_name: str
    pronouns: str
    status: str
    primary_name: str | None
    is_own: bool
    last_session_at: datetime | None
    next_session_at: datetime | None


# What the caseload list reads of each client: plain rows, no model instances.
CASELOAD_ROW = (
    "code",
    "legal_name",
    "preferred_name",
    "pronouns",
    "status",
    "primary_name",
    "is_own",
    "last_session_at",
    "next_session_at",
)


def _caseload_row(values: tuple) -> CaseloadRow:
    code, legal, preferred, pronouns, status, primary, own, last, upcoming = values[:9]
    # The name as Client.display_name prints it, from the row's two name columns.
    name = Client.display_name.fget(
        SimpleNamespace(legal_name=legal, preferred_name=preferred)
    )
    return CaseloadRow(
        code, legal, name, pronouns, status, primary, own, last, upcoming
    )


def _with_total(clients: QuerySet[Client]) -> QuerySet:
    """The caseload's rows, each with the list's total count (a window count)."""
    return clients.annotate(total=Window(Count("pk"))).values_list(
        *CASELOAD_ROW, "total"
    )


def _page_of(paginator: Paginator, number: int, rows: list) -> Page:
    paginator.count = rows[0][-1]
    page = paginator.page(number)
    page.object_list = [_caseload_row(r) for r in rows]
    return page


def _page_number(number: str | None) -> int:
    try:
        return int(number or 1)
    except (TypeError, ValueError):
        return 1


def caseload_page(clients: QuerySet[Client], number: str | None) -> Page:
    """The requested page of the caseload (50 clients, as CaseloadRow) as Paginator.get_page
    gives it, read with its total count in one statement (a window count); a page past the
    end, a number below 1 or an empty list falls back to the paginator's own count and
    page."""
    wanted = _page_number(number)
    if wanted >= 1:
        bottom = (wanted - 1) * CASELOAD_PER_PAGE
        rows = list(_with_total(clients)[bottom : bottom + CASELOAD_PER_PAGE])
        if rows:
            return _page_of(Paginator(clients, CASELOAD_PER_PAGE), wanted, rows)
    page = Paginator(clients.values_list(*CASELOAD_ROW), CASELOAD_PER_PAGE).get_page(
        number
    )
    page.object_list = [_caseload_row(r) for r in page.object_list]
    return page


def _first_caseload_page(user: User, *, status: str, sort: str) -> list:
    """The first page of a caseload list without a search term (batch.Baked: per reader's
    shape, status and sort)."""
    from ipnb_notes import access

    clients = caseload(
        access.visible_clients(user), user=user, status=status, sort=sort
    )
    return [_with_total(clients)[:CASELOAD_PER_PAGE]]


_FIRST_CASELOAD_PAGE = batch.Baked(_first_caseload_page)


def caseload_list_page(
    user: User, *, q: str, status: str, sort: str, number: str | None
) -> Page:
    """The caseload list's page for the reader. The first page without a search term, the
    one nearly every visit opens, is read by a statement built and compiled once per shape
    (batch.Baked); a search term (a LIKE pattern made from it) or a later page (its offset in
    the statement) is built per request."""
    from ipnb_notes import access

    if not q and _page_number(number) == 1:
        [rows] = batch.fetch(*_FIRST_CASELOAD_PAGE(user, status=status, sort=sort))
        paginator = Paginator([], CASELOAD_PER_PAGE)
        if not rows:  # nothing on the first page: an empty list
            return paginator.page(1)
        return _page_of(paginator, 1, rows)
    clients = caseload(
        access.visible_clients(user), user=user, q=q, status=status, sort=sort
    )
    return caseload_page(clients, number)


def assignment_list(
    clients: QuerySet[Client],
    *,
    q: str = "",
    therapist: User | None = None,
    status: str = "",
) -> QuerySet[Client]:
    """All clients for a practice admin: names, status and current therapists only."""
    clients = clients.only("code", "legal_name", "preferred_name", "status").annotate(
        primary_name=_primary("therapist__full_name")
    )
    if q:
        clients = clients.filter(
            Q(legal_name__icontains=q) | Q(preferred_name__icontains=q)
        )
    if therapist is not None:
        clients = clients.filter(
            pk__in=CaseAssignment.objects.current()
            .filter(therapist=therapist)
            .values("client_id")
        )
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    return clients.prefetch_related(
        Prefetch(
            "assignments",
            queryset=CaseAssignment.objects.current()
            .filter(role=CaseAssignment.Role.CO_THERAPIST)
            .select_related("therapist")
            .order_by("started_on"),
            to_attr="co_assignments",
        )
    ).order_by(Lower("legal_name"), "pk")


def client_page(
    client: Client,
    *,
    user: User,
    timeline_page: str | None,
    timeline_only: bool = False,
) -> dict:
    """Everything the client page shows, in one round trip (ipnb_notes.batch): the session
    count and the requested timeline page, goals, the last signed note, open ruptures, the
    latest ratings and the current assignments (which also answer whether the user may edit:
    the rule of access.can_edit_client, a current assignment of the user), the emergency
    notices on this client, the small trajectory chart and the Measures section
    (`timeline_only`, a timeline page link's answer: not those two)."""
    from django.core.paginator import InvalidPage

    from ipnb_notes.templatetags.sources import status_of

    today = timezone.localdate()
    try:
        number = max(1, int(timeline_page or 1))
    except (TypeError, ValueError):
        number = 1
    bottom = (number - 1) * TIMELINE_PER_PAGE
    # The timeline prints a few fields of each session, its therapist and its note: plain rows
    # (no model instances), read with the page's other reads. The page's reads are built and
    # compiled once per shape (batch.Baked) from the client's id and the reader. A timeline
    # page's offset is written into its statement: the first page is baked, a later one
    # compiled per request (a shape per offset would grow without bound).
    page = (
        _FIRST_TIMELINE_PAGE(client.pk)
        if bottom == 0
        else [_timeline_sessions(client.pk)[bottom : bottom + TIMELINE_PER_PAGE]]
    )
    count, goals, last_note, ruptures, ratings, assignments, notices = (
        _CLIENT_PAGE_READS(client.pk, user)
    )
    # The small chart (composite, PHQ-9, GAD-7) and the Measures section: one fixed statement
    # each, in the same round trip (not for a timeline page link's answer).
    extra_reads = []
    if not timeline_only:
        from dashboards.reports import mini_trajectory_read
        from measures.services import client_summary_read

        extra_reads = [mini_trajectory_read(client.pk), client_summary_read(client.pk)]
    # The rows the page only prints (the first timeline page, the open ruptures, the latest
    # ratings, the assignments) are read as plain tuples (batch.plain) and made dicts here; a
    # later timeline page (not baked) comes as Django's dicts.
    printed = [*page, ruptures, ratings, assignments]
    names = [
        batch.plain_names(b) if isinstance(b, batch.Bound) else None for b in printed
    ]
    results = batch.fetch(
        *(batch.plain(b) if n else b for b, n in zip(printed, names, strict=True)),
        *(count, goals, last_note, notices),
        *extra_reads,
    )
    rows, ruptures, ratings, assignments = (
        [dict(zip(n, row, strict=True)) for row in got] if n else got
        for n, got in zip(names, results[:4], strict=True)
    )
    count, goals, last_note, notices, *extra_rows = results[4:]
    # The rows are read already: the paginator needs only their count.
    paginator = Paginator([], TIMELINE_PER_PAGE)
    paginator.count = count[0] if count else 0
    try:
        timeline = paginator.page(number)
        timeline.object_list = rows
    except InvalidPage:  # past the last page: the last page, read on its own
        total = paginator.count
        paginator = Paginator(_timeline_sessions(client.pk), TIMELINE_PER_PAGE)
        paginator.count = total
        timeline = paginator.get_page(timeline_page)
    # The rows as the timeline prints them (page.object_list: not the page's own iteration).
    timeline.object_list = timeline_rows(timeline.object_list, user.pk)
    roles, markers, types = _overview_labels()
    for assignment in assignments:
        assignment["therapist"] = therapist_name(
            assignment.pop("therapist__full_name"), assignment.pop("therapist__email")
        )
        assignment["role_label"] = roles.get(assignment["role"], assignment["role"])
    statuses = {}  # (label, url) of each instrument status and group, worked out once
    for rating in ratings:
        key = (rating["instrument_status"], rating["group"])
        if key not in statuses:
            statuses[key] = status_of(rating)
        rating["status"] = statuses[key]
    for rupture in ruptures:
        held_on = timezone.localdate(rupture["session__starts_at"])
        rupture["age_days"] = (today - held_on).days
        rupture["marker_labels"] = [markers.get(m, m) for m in rupture["markers"]]
        rupture["type_label"] = types.get(
            rupture["rupture_type"], rupture["rupture_type"]
        )
    age = None
    if client.date_of_birth:
        dob = client.date_of_birth
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    extra = {}
    if not timeline_only:
        from dashboards.reports import mini_trajectory
        from measures.services import client_summary

        mini_rows, summary_rows = extra_rows
        extra = {
            "mini_trajectory": mini_trajectory(client.pk, rows=mini_rows),
            "measures": client_summary(client, rows=summary_rows),
        }
    return extra | {
        "timeline": timeline,
        "active_goals": [g for g in goals if g.status == g.Status.ACTIVE],
        "other_goals": [g for g in goals if g.status != g.Status.ACTIVE],
        "last_note": last_note[0] if last_note else None,
        "ruptures": ruptures,
        "ratings": ratings,
        "rated_session": (
            {
                "code": ratings[0]["session__code"],
                "starts_at": ratings[0]["session__starts_at"],
            }
            if ratings
            else None
        ),
        "assignments": assignments,
        "can_edit": any(a["therapist_id"] == user.pk for a in assignments),
        "age": age,
        "emergency_notices": notices,
    }


def _timeline_sessions(client_id: int) -> QuerySet:
    """The client's sessions, newest first, as the timeline's plain rows."""
    from sessions.models import TherapySession

    return (
        TherapySession.objects.filter(client_id=client_id)
        .order_by("-starts_at", "-pk")
        .values(*TIMELINE_FIELDS)
    )


_FIRST_TIMELINE_PAGE = batch.Baked(
    lambda client_id: [_timeline_sessions(client_id)[:TIMELINE_PER_PAGE]]
)


def _client_page_reads(client_id: int, user: User) -> list:
    """client_page's reads after the timeline's page, in its order (batch.Baked)."""
    from ipnb_notes import access
    from sessions.models import (
        IntegrationRating,
        ProgressNote,
        RuptureEvent,
        TherapySession,
    )

    latest_rated = (
        TherapySession.objects.filter(client_id=client_id, ratings__isnull=False)
        .order_by("-starts_at", "-pk")
        .values("pk")[:1]
    )
    return [
        TherapySession.objects.filter(client_id=client_id)
        .order_by()
        .values("client_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True),
        TreatmentGoal.objects.filter(client_id=client_id),
        ProgressNote.objects.filter(
            client_id=client_id,
            status__in=[
                ProgressNote.Status.SIGNED,
                ProgressNote.Status.AWAITING_COSIGNATURE,
            ],
        )
        .select_related("session")
        # The page shows the note's plan (decrypted with the note's code), its code and its
        # session's date: not the sections, risk details or the session's other columns.
        .only("code", "plan", "session__starts_at")
        .order_by("-session__starts_at", "-pk")[:1],
        RuptureEvent.objects.filter(client_id=client_id, repair__isnull=True)
        .order_by("session__starts_at", "minute", "pk")
        .values(
            "rupture_type", "markers", "minute", "session__code", "session__starts_at"
        ),
        IntegrationRating.objects.filter(session_id=Subquery(latest_rated))
        .order_by("indicator__sort_order", "indicator__pk")
        .values(
            "value",
            "session__code",
            "session__starts_at",
            label=F("indicator__label"),
            scale_min=F("indicator__scale_min"),
            scale_max=F("indicator__scale_max"),
            instrument_status=F("indicator__instrument_status"),
            group=F("indicator__group"),
        ),
        # The overview names each current therapist and role: plain rows.
        CaseAssignment.objects.current()
        .filter(client_id=client_id)
        .order_by("role", "started_on")
        .values("therapist_id", "role", "therapist__full_name", "therapist__email"),
        # The emergency notices at the head of the page (audit/_emergency_notices.html),
        # those on this client: the context processor's own look-up is then never run.
        access.emergency_notices(user).filter(client_id=client_id),
    ]


_CLIENT_PAGE_READS = batch.Baked(_client_page_reads)


@functools.cache
def _timeline_labels() -> dict:
    """The labels the timeline's rows print by value (built once)."""
    from sessions.models import ProgressNote, TherapySession

    return {
        "status": dict(TherapySession.Status.choices),
        "modality": dict(TherapySession.Modality.choices),
        "setting": dict(TherapySession.Setting.choices),
        "note": dict(ProgressNote.Status.choices),
    }


@functools.cache
def _overview_labels() -> tuple[dict, dict, dict]:
    """The labels of an assignment's role and a rupture's markers and type (built once)."""
    from sessions.models import RuptureEvent

    return (
        dict(CaseAssignment.Role.choices),
        dict(RuptureEvent.Marker.choices),
        dict(RuptureEvent.Type.choices),
    )


@functools.cache
def _note_badges() -> dict:
    """The class of a note's status badge on the timeline, by status."""
    from sessions.models import ProgressNote

    return {
        ProgressNote.Status.SIGNED: " badge-ok",
        ProgressNote.Status.RETURNED: " badge-danger",
        ProgressNote.Status.AWAITING_COSIGNATURE: " badge-warn",
    }


def _kind(modality: str, setting: str) -> str:
    """A session's modality and setting as the timeline prints them, by their labels."""
    labels = _timeline_labels()
    modality = labels["modality"].get(modality, modality)
    setting = labels["setting"].get(setting, setting)
    return f"{str(modality).lower()}, {str(setting).lower()}"


def timeline_rows(sessions, user_id: int) -> list[dict]:
    """The timeline's sessions (TIMELINE_FIELDS rows) as clients/_timeline_rows.html prints
    them: the session's link, its local moment (ISO and as the page writes it), its status
    and kind by their labels, the therapist as str(user), and the note's link, badge and
    label when this reader may see it (a draft belongs to its author alone until it is
    signed). Values no choice knows print as they are. The template only prints (escaped)."""
    from sessions.models import ProgressNote, TherapySession

    labels = _timeline_labels()
    statuses, note_labels, badges = labels["status"], labels["note"], _note_badges()
    session_url = links.link("sessions:session_detail", links.ZERO)
    note_url = links.link("sessions:note_detail", links.ZERO)
    draft, attended = ProgressNote.Status.DRAFT, TherapySession.Status.ATTENDED
    zone = timezone.get_current_timezone()
    # Each therapist's name and each kind of session, worked out once.
    names: dict[tuple, str] = {}
    kinds: dict[tuple, str] = {}
    printed = []
    for s in sessions:
        local = s["starts_at"].astimezone(zone)  # timezone.localtime
        status, modality, setting = s["status"], s["modality"], s["setting"]
        code, note_status = s["note__code"], s["note__status"]
        kind = (modality, setting)
        person = (s["therapist__full_name"], s["therapist__email"])
        note = None
        if code is not None and (
            note_status != draft or s["note__author_id"] == user_id
        ):
            note = {
                "href": note_url.replace(links.ZERO, str(code)),
                "badge": badges.get(note_status, ""),
                "label": note_labels.get(note_status, note_status),
            }
        printed.append(
            {
                "code": s["code"],
                "href": session_url.replace(links.ZERO, str(s["code"])),
                "iso": local.isoformat(),
                "when": local.strftime("%a %b %-d, %Y %H:%M"),
                "status": statuses.get(status, status),
                "kind": kinds.get(kind) or kinds.setdefault(kind, _kind(*kind)),
                "therapist": names.get(person)
                or names.setdefault(person, therapist_name(*person)),
                "attended": status == attended,
                "note": note,
            }
        )
    return printed
