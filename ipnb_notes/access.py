"""Who may see or change what. The only module that says so.

Rules (DESIGN.md section 4):
- Practice admins manage accounts, roles, supervision links and caseload assignments.
  They read no clinical text.
- Not visible answers 404, exactly like not existing; visible but not allowed answers 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from asgiref.local import Local
from django.core.exceptions import PermissionDenied
from django.core.signals import request_finished, request_started
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Supervision, User
from clients.models import CaseAssignment, Client, EmergencyAccess, TreatmentGoal
from disclosures.models import Authorization, Disclosure
from ipnb_notes import batch, clock
from measures.models import (
    Administration,
    MeasureLink,
    PracticeAdministration,
    PracticeInstrument,
    RiskAlert,
)
from sessions.models import (
    NoteRevision,
    ProgressNote,
    PsychotherapyNote,
    RuptureEvent,
    SupervisionComment,
    TherapySession,
)


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


# --- The clinical record ------------------------------------------------------------------------
# The caseload rule: a clinician sees clients they are currently assigned to (primary or
# co-therapist); a supervisor also sees the clients of their current supervisees, read-only.
# Practice admins see no clinical record, not even through emergency access (designated
# clinicians alone may break the glass).


def visible_clients(user: User) -> QuerySet[Client]:
    """Clients whose clinical record this user may read: their caseload (and, for a
    supervisor, their supervisees' caseloads), plus any client opened through an active
    emergency-access grant (read-only: such a client is never on their own caseload)."""
    if not (user.is_authenticated and user.is_active and user.is_clinician):
        return Client.objects.none()
    caseload = _caseload_clients(user)
    if not user.may_break_glass:
        return caseload
    emergency = Q(
        pk__in=EmergencyAccess.objects.active().filter(user=user).values("client_id")
    )
    return Client.objects.filter(Q(pk__in=caseload.values("pk")) | emergency)


def _caseload_clients(user: User) -> QuerySet[Client]:
    return Client.objects.filter(pk__in=_caseload_client_ids(user))


def _caseload_client_ids(user: User) -> QuerySet[CaseAssignment]:
    # The supervisees are a subquery of the page's own statement, not a look-up of their own.
    readers = Q(therapist_id=user.pk)
    if user.is_supervisor:
        readers |= Q(
            therapist_id__in=Supervision.objects.current()
            .filter(supervisor_id=user.pk)
            .values("supervisee_id")
        )
    return CaseAssignment.objects.current().filter(readers).values("client_id")


def _visible_client_ids(user: User) -> QuerySet | None:
    """The ids of `visible_clients(user)` as a one-column subquery (None: no client), for
    the rows that hang off a client: the same rule, one nested statement fewer to compile
    and plan on every page. Built once per request (`_once_per_request`)."""
    if not (user.is_authenticated and user.is_active and user.is_clinician):
        return None
    if not user.may_break_glass:
        return _once_per_request("caseload", user, _caseload_client_ids)
    return _once_per_request(
        "visible", user, lambda user: visible_clients(user).values("pk")
    )


def _own_client_ids(user: User) -> QuerySet | None:
    """The ids of `own_clients(user)` as a one-column subquery (None: no client)."""
    if not (user.is_authenticated and user.is_active and user.is_clinician):
        return None
    return _once_per_request(
        "own",
        user,
        lambda user: (
            CaseAssignment.objects.current().filter(therapist=user).values("client_id")
        ),
    )


# A page asks for the same caseload subquery several times (its sessions, notes, threads);
# within one request it is built once per user. What is kept is an unevaluated queryset (SQL
# to be run, never rows), keyed by the user and the flags the rules read, and dropped when
# the request ends; outside a request (commands, tasks, tests) nothing is kept.
_request = Local()


def _request_begins(**kwargs) -> None:
    _request.subqueries = {}


def _request_ends(**kwargs) -> None:
    _request.subqueries = None


request_started.connect(_request_begins, dispatch_uid="access_subqueries_begin")
request_finished.connect(_request_ends, dispatch_uid="access_subqueries_end")


def _once_per_request(name: str, user: User, build) -> QuerySet:
    kept = getattr(_request, "subqueries", None)
    # A baked queryset (and its check under tests) is built with its own moment: never from,
    # nor into, what this request kept.
    if kept is None or clock.standing_in():
        return build(user)
    key = (name, user.pk, user.role, user.is_active, user.can_break_glass)
    if key not in kept:
        kept[key] = build(user)
    return kept[key]


# The look-ups every record page starts with, built and compiled once per shape of reader
# (ipnb_notes.batch.Baked): only the reader and the code change between requests.
def _sessions_with_people(user: User) -> QuerySet[TherapySession]:
    return visible_sessions(user).select_related("client", "therapist")


def _notes_with_record(user: User) -> QuerySet[ProgressNote]:
    return visible_notes(user).select_related("client", "session", "author")


def _by_code(rule):
    return batch.Baked(lambda user, code: [rule(user).filter(code=code)])


_CLIENT = _by_code(lambda user: visible_clients(user))
_SESSION = _by_code(lambda user: _sessions_with_people(user))
_NOTE = _by_code(lambda user: _notes_with_record(user))


def _get(baked: batch.Baked, rule, user: User, code):
    """The one row of `rule(user)` with this code, or 404 (as get_object_or_404)."""
    if not isinstance(code, UUID):
        try:
            code = UUID(str(code))
        except ValueError:
            raise Http404 from None
    if not user.is_authenticated:  # an anonymous reader sees nothing, baked or not
        return get_object_or_404(rule(user), code=code)
    [rows] = batch.fetch(*baked(user, code))
    if not rows:
        raise Http404
    return rows[0]


def own_clients(user: User) -> QuerySet[Client]:
    """Clients on this user's own caseload (they may write to these records)."""
    clients = _own_client_ids(user)
    if clients is None:
        return Client.objects.none()
    return Client.objects.filter(pk__in=clients)


def get_client(user: User, code: UUID, *, for_update: bool = False) -> Client:
    """A client this user may read; 404 if not visible, 403 if visible but read-only.
    The view records the read (audit.read), which names an emergency grant if one is used."""
    client = _get(_CLIENT, visible_clients, user, code)
    if for_update and not can_edit_client(user, client):
        raise PermissionDenied
    return client


def emergency_grant_for_read(user: User, client: Client) -> EmergencyAccess | None:
    """The emergency grant through which this user reads this client, or None when the
    client is on their own caseload (an ordinary read) or no grant is active. One query."""
    if not user.may_break_glass:
        return None
    return (
        EmergencyAccess.objects.active()
        .filter(user=user, client=client)
        .exclude(client__in=_caseload_clients(user))
        .order_by("-granted_at")
        .first()
    )


def can_edit_client(user: User, client: Client) -> bool:
    return (
        CaseAssignment.objects.current().filter(client=client, therapist=user).exists()
    )


def visible_sessions(user: User) -> QuerySet[TherapySession]:
    clients = _visible_client_ids(user)
    if clients is None:
        return TherapySession.objects.none()
    return TherapySession.objects.filter(client_id__in=clients)


def calendar_sessions(user: User) -> QuerySet[TherapySession]:
    """A clinician's own sessions, for their day and week calendar and conflict warnings.
    `client_visible` says whether the client's name may be shown (the client is still
    visible to them); the page links each session, which its own access line guards."""
    require_clinician(user)
    # `visible_clients`' ids as one subquery read once (a hashed lookup per session), not
    # a semi-join of every client re-planned inside a per-row EXISTS.
    visible = _visible_client_ids(user)
    return TherapySession.objects.filter(therapist_id=user.pk).annotate(
        client_visible=ExpressionWrapper(
            Q(client_id__in=visible), output_field=BooleanField()
        )
    )


def practice_calendar(user: User) -> tuple[QuerySet[User], QuerySet[TherapySession]]:
    """The practice admin's view of every clinician's week: the active clinicians and their
    sessions, as busy blocks (time and status); the caller reads no client column."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import F, Func

    require_admin(user)
    clinicians = User.objects.filter(
        role__in=(User.Role.THERAPIST, User.Role.SUPERVISOR), is_active=True
    )
    # `therapist_id = ANY(ARRAY(SELECT id ...))`: the ids as one array, which the planner
    # looks up in the index on (therapist, starts_at); `therapist_id IN (SELECT ...)` is a
    # semi-join it plans as a join over every session of the range read.
    among = Func(
        F("therapist_id"),
        ArraySubquery(clinicians.order_by().values("pk")),
        arg_joiner=" = ANY(",
        template="%(expressions)s)",
        output_field=BooleanField(),
    )
    return clinicians, TherapySession.objects.filter(among)


_SESSION_AND_NOTE = batch.Baked(
    lambda user, code: [
        _sessions_with_people(user).filter(code=code),
        # A session has at most one note (one-to-one): read without an ORDER BY.
        visible_notes(user).filter(session__code=code),
    ]
)


def get_session_with_note(
    user: User, code: UUID
) -> tuple[TherapySession, ProgressNote | None]:
    """get_session's session and its note when this user may read it (visible_notes' rule),
    else None: one round trip."""
    if not user.is_authenticated:
        raise Http404
    try:
        code = code if isinstance(code, UUID) else UUID(str(code))
    except ValueError:
        raise Http404 from None
    sessions, notes = batch.fetch(*_SESSION_AND_NOTE(user, code))
    if not sessions:
        raise Http404
    session, note = sessions[0], (notes[0] if notes else None)
    if note is not None:
        note.session = session
        if note.client_id == session.client_id:
            note.client = session.client
    return session, note


def get_session(user: User, code: UUID, *, for_update: bool = False) -> TherapySession:
    """A session this user may read; for_update needs the client on the user's own caseload."""
    session = _get(_SESSION, _sessions_with_people, user, code)
    if for_update and not can_edit_client(user, session.client):
        raise PermissionDenied
    return session


def visible_notes(user: User) -> QuerySet[ProgressNote]:
    """Progress notes this user may read. A draft is its author's alone until it is signed."""
    clients = _visible_client_ids(user)
    if clients is None:
        return ProgressNote.objects.none()
    return ProgressNote.objects.filter(client_id__in=clients).filter(
        Q(author=user) | ~Q(status=ProgressNote.Status.DRAFT)
    )


def can_edit_note(user: User, note: ProgressNote) -> bool:
    return note.author_id == user.pk and note.is_editable


def get_note(user: User, code: UUID, *, for_update: bool = False) -> ProgressNote:
    """A note this user may read; 404 if not visible, 403 if visible but not theirs to edit."""
    note = _get(_NOTE, _notes_with_record, user, code)
    if for_update and not can_edit_note(user, note):
        raise PermissionDenied
    return note


def supervises(user: User, supervisee_id: int, *, cosign: bool = False) -> bool:
    links = Supervision.objects.current().filter(
        supervisor=user, supervisee_id=supervisee_id
    )
    if cosign:
        links = links.filter(requires_cosignature=True)
    return links.exists()


def supervision_links(user: User, supervisee_id: int) -> QuerySet[Supervision, bool]:
    """The flags (requires_cosignature) of this user's current supervision links to a
    supervisee: empty when they do not supervise them. A queryset, so that a page can read it
    with its other statements (ipnb_notes.batch) and pass it to note_rights."""
    return (
        Supervision.objects.current()
        .filter(supervisor_id=user.pk, supervisee_id=supervisee_id)
        .values_list("requires_cosignature", flat=True)
    )


def note_rights(
    user: User, note: ProgressNote, *, links: Sequence[bool] | None = None
) -> dict[str, bool]:
    """can_cosign, can_comment and can_read_revisions for one note, from one look-up of the
    supervision links (the same rules as the three functions of those names)."""
    if links is None:
        links = list(supervision_links(user, note.author_id))
    supervising = bool(links)
    return {
        "can_cosign": note.status == ProgressNote.Status.AWAITING_COSIGNATURE
        and any(links),
        "can_comment": supervising,
        "can_read_revisions": user.is_clinician
        and (note.author_id == user.pk or supervising),
    }


def can_cosign(user: User, note: ProgressNote) -> bool:
    return note.status == ProgressNote.Status.AWAITING_COSIGNATURE and supervises(
        user, note.author_id, cosign=True
    )


def can_comment(user: User, note: ProgressNote) -> bool:
    return supervises(user, note.author_id)


def get_note_for_review(user: User, code: UUID) -> ProgressNote:
    """A supervisee's note for co-signing or return; 403 if visible but not this user's to review."""
    note = get_note(user, code)
    if not can_cosign(user, note):
        raise PermissionDenied
    return note


def get_note_for_comment(user: User, code: UUID) -> ProgressNote:
    note = get_note(user, code)
    if not can_comment(user, note):
        raise PermissionDenied
    return note


def own_process_notes(user: User) -> QuerySet[PsychotherapyNote]:
    """Psychotherapy notes: their author's alone. Nobody else, ever (HIPAA 164.501)."""
    if not (user.is_authenticated and user.is_active and user.is_clinician):
        return PsychotherapyNote.objects.none()
    return PsychotherapyNote.objects.filter(author=user)


def cosignature_queue(user: User) -> QuerySet[ProgressNote]:
    """Notes waiting for this supervisor's co-signature, oldest first."""
    supervisees = Supervision.objects.current().filter(
        supervisor=user, requires_cosignature=True
    )
    return ProgressNote.objects.filter(
        status=ProgressNote.Status.AWAITING_COSIGNATURE,
        author_id__in=supervisees.values("supervisee_id"),
    ).order_by("signed_at")


# --- Caseload assignment by practice admins (names and status only, never clinical text) -----------


def assignable_clients(user: User) -> QuerySet[Client]:
    """Every client, for a practice admin assigning caseloads. Views must show no clinical text."""
    require_admin(user)
    return Client.objects.all()


def get_assignable_client(user: User, code: UUID) -> Client:
    return get_object_or_404(assignable_clients(user), code=code)


def therapist_choices(user: User) -> QuerySet[User]:
    """Clinicians an admin may assign a client to."""
    require_admin(user)
    return User.objects.filter(
        role__in=[User.Role.THERAPIST, User.Role.SUPERVISOR], is_active=True
    )


# --- Treatment goals and assignments (clients feature) ------------------------------------------


def get_goal(user: User, code: UUID, *, for_update: bool = False) -> TreatmentGoal:
    """A treatment goal of a visible client; 404 if not visible, 403 if the client is not on
    this user's own caseload and for_update is asked."""
    goal = get_object_or_404(
        TreatmentGoal.objects.filter(client__in=visible_clients(user)).select_related(
            "client"
        ),
        code=code,
    )
    if for_update and not can_edit_client(user, goal.client):
        raise PermissionDenied
    return goal


def get_managed_assignment(user: User, code: UUID) -> CaseAssignment:
    """A case assignment, for a practice admin ending it; 404 for everyone else."""
    require_admin(user)
    return get_object_or_404(
        CaseAssignment.objects.select_related("client", "therapist"), code=code
    )


# --- Note editing, addenda and process notes (sessions and notes) ---------------------------------


def get_session_note_for_edit(
    user: User, code: UUID
) -> tuple[TherapySession, ProgressNote | None]:
    """(session, its progress note or None) for the note's author to write. 404 if the session is
    not visible; 403 if the client is not on the user's caseload or the note is another
    clinician's or no longer editable."""
    session = get_session(user, code)
    # One round trip: the user's assignment to the client (can_edit_client) and the
    # session's note, read only when that assignment exists.
    assigned, notes = batch.fetch(*_NOTE_FOR_EDIT(user, session.pk, session.client_id))
    if not assigned:
        raise PermissionDenied
    note = notes[0] if notes else None
    if note is not None and not can_edit_note(user, note):
        raise PermissionDenied
    return session, note


def _note_for_edit(user: User, session_id: int, client_id: int) -> list[QuerySet]:
    assignment = CaseAssignment.objects.current().filter(
        client_id=client_id, therapist_id=user.pk
    )
    return [
        assignment.values_list("pk", flat=True)[:1],
        ProgressNote.objects.filter(session_id=session_id)
        .filter(Exists(assignment))
        .order_by("pk")[:1],
    ]


_NOTE_FOR_EDIT = batch.Baked(_note_for_edit)


def get_note_for_addendum(user: User, code: UUID) -> ProgressNote:
    """A signed note its author may add an addendum to; 403 for other readers."""
    note = get_note(user, code)
    if note.author_id != user.pk or note.is_editable:
        raise PermissionDenied
    return note


def can_read_revisions(user: User, note: ProgressNote) -> bool:
    """A note's pre-sign edit history is for its author and the author's current supervisor
    (who may read the note already); never for a practice admin or another reader."""
    return user.is_clinician and (
        note.author_id == user.pk or supervises(user, note.author_id)
    )


def readable_revisions(
    user: User, revisions: QuerySet[NoteRevision]
) -> QuerySet[NoteRevision]:
    """`revisions` as `can_read_revisions` allows them, the rule in the statement: those of
    notes the user wrote or whose author they currently supervise, none for anyone else.
    A page reads them with its other statements without reading what it may not show."""
    if not user.is_clinician:
        return revisions.none()
    return revisions.filter(
        Q(note__author_id=user.pk)
        | Exists(
            Supervision.objects.current().filter(
                supervisor_id=user.pk, supervisee_id=OuterRef("note__author_id")
            )
        )
    )


def get_note_revision(user: User, code: UUID) -> NoteRevision:
    """One revision of a note; 404 if the note is not visible, 403 if the note is visible but
    its history is not this user's to read (can_read_revisions)."""
    revision = get_object_or_404(
        NoteRevision.objects.filter(note__in=visible_notes(user)).select_related(
            "note__client", "note__session", "note__author", "saved_by"
        ),
        code=code,
    )
    if not can_read_revisions(user, revision.note):
        raise PermissionDenied
    return revision


def get_session_for_process_note(user: User, code: UUID) -> TherapySession:
    """A session of a client on the user's own caseload; 404 for everyone else, supervisors
    included, so that nobody but the author can even learn whether a process note exists."""
    session = _get(_SESSION, _sessions_with_people, user, code)
    if not can_edit_client(user, session.client):
        raise Http404
    return session


# --- Dashboards ----------------------------------------------------------------------------------
# Trajectories follow the caseload rule (visible_clients); supervisors drill into the caseloads
# of their current supervisees only; practice admins see counts without clinical content.


def get_trajectory_client(user: User, code: UUID) -> Client:
    """A client whose trajectory this user may see (own caseload, or a supervisee's: read-only)."""
    return _get(_CLIENT, visible_clients, user, code)


def _clients_with_edit_right(user: User) -> QuerySet[Client]:
    """visible_clients, each saying whether it is on this user's own caseload
    (can_edit_client's rule, read in the same statement)."""
    return visible_clients(user).annotate(
        on_own_caseload=Exists(
            CaseAssignment.objects.current().filter(
                client=OuterRef("pk"), therapist=user
            )
        )
    )


_CLIENT_WITH_EDIT_RIGHT = _by_code(_clients_with_edit_right)


def _require_supervisor(user: User) -> None:
    require_clinician(user)
    if not user.is_supervisor:
        raise Http404


def dashboard_supervisees(user: User) -> QuerySet[User]:
    """Supervisees on a supervisor's dashboard; 404 for anyone who is not a supervisor."""
    _require_supervisor(user)
    return current_supervisees(user)


_SUPERVISEE = _by_code(lambda user: current_supervisees(user))


def get_dashboard_supervisee(user: User, code: UUID) -> User:
    """A current supervisee whose caseload dashboard this supervisor may read; 404 otherwise."""
    _require_supervisor(user)
    return _get(_SUPERVISEE, current_supervisees, user, code)


def require_practice_counts(user: User) -> None:
    """The practice view (counts, no clinical content) is for practice admins alone."""
    require_admin(user)


def own_ruptures(user: User) -> QuerySet[RuptureEvent]:
    """Alliance ruptures of clients on this user's own caseload: the ones they may repair."""
    clients = _own_client_ids(user)
    if clients is None:
        return RuptureEvent.objects.none()
    return RuptureEvent.objects.filter(client_id__in=clients)


# --- Emergency (break-glass) access -----------------------------------------------------------------


def require_break_glass(user: User) -> None:
    """Only designated clinicians may open a record in an emergency. A practice admin gets 404
    (a clinical page: admins read no clinical text, even with the flag set on their row); a
    clinician who is not designated gets 403 (the feature is documented, no record shown)."""
    require_clinician(user)
    if not user.may_break_glass:
        raise PermissionDenied


def break_glass_clients(user: User) -> QuerySet[Client]:
    """Clients an emergency grant may name: any, for designated clinicians alone. The page
    never lists them: the user looks one up by exact code or by a name search."""
    require_break_glass(user)
    return Client.objects.all()


def emergency_notices(user: User) -> QuerySet[EmergencyAccess]:
    """Emergency grants on clients of this clinician's own caseload in the last 30 days:
    shown to them (who, when, why)."""
    clients = _own_client_ids(user) if user.is_authenticated else None
    if clients is None:
        return EmergencyAccess.objects.none()
    return (
        EmergencyAccess.objects.filter(
            client_id__in=clients,
            granted_at__gte=clock.ago(timedelta(days=30)),
        )
        .exclude(user=user)
        .select_related("user", "client")
    )


def get_trajectory_client_and_mode(user: User, code: UUID) -> tuple[Client, bool]:
    """(client, can_edit): the trajectory shows supervisors a read-only badge.

    Only a supervisor can see clients outside their own caseload (visible_clients), so only
    for a supervisor does the edit right need a second look-up.
    """
    if not user.is_supervisor:
        return get_trajectory_client(user, code), True
    client = _get(_CLIENT_WITH_EDIT_RIGHT, _clients_with_edit_right, user, code)
    return client, client.on_own_caseload


# --- Release of records and the accounting of disclosures --------------------------------------
# The accounting of disclosures is part of the record: whoever may read the client reads it.
# Releasing information and recording or revoking an authorization act on the record: the
# client's own therapists alone (get_client(..., for_update=True)); a supervisor gets 403.


def get_authorization(
    user: User, code: UUID, *, for_update: bool = False
) -> Authorization:
    """A client's release authorization; 404 if the client is not visible, 403 if the client
    is not on this user's own caseload and for_update is asked."""
    authorization = get_object_or_404(
        Authorization.objects.filter(client__in=visible_clients(user)).select_related(
            "client"
        ),
        code=code,
    )
    if for_update and not can_edit_client(user, authorization.client):
        raise PermissionDenied
    return authorization


def get_process_note_for_disclosure(
    user: User, session_code: UUID
) -> PsychotherapyNote:
    """The user's own psychotherapy note of a session, for its author to release under an
    authorization; 404 for everyone else (get_session_for_process_note's rule), and 404 when
    the author wrote none for that session."""
    session = get_session_for_process_note(user, session_code)
    return get_object_or_404(
        own_process_notes(user).select_related("session", "session__client"),
        session=session,
    )


def visible_disclosures(user: User, client: Client) -> QuerySet[Disclosure]:
    """The client's accounting of disclosures as this user may read it (the client is already
    visible): a release of a psychotherapy note is shown to its author alone, who released
    it, since even its existence is the author's (supervisors and co-therapists see the rest)."""
    return Disclosure.objects.accounting(client).exclude(
        Q(kind=Disclosure.Kind.PSYCHOTHERAPY_NOTE) & ~Q(user_id=user.pk)
    )


# --- Outcome measures (PHQ-9, GAD-7) -------------------------------------------------------------
# Scores are part of the record: whoever reads the client reads them (a supervisor included).
# Completing a questionnaire, sending a link and acknowledging a risk alert act on the record:
# the client's own clinicians alone (a supervisor gets 403, an admin or a stranger 404). The
# public questionnaire page is reached by its one-time token alone (measures.services).


def visible_administrations(user: User) -> QuerySet[Administration]:
    return Administration.objects.filter(client__in=visible_clients(user))


def get_administration(user: User, code: UUID) -> Administration:
    """A completed questionnaire of a visible client (its answers included); 404 otherwise."""
    return get_object_or_404(
        visible_administrations(user).select_related("client", "recorded_by"), code=code
    )


def get_practice_score(user: User, code: UUID) -> PracticeAdministration:
    """A completed instrument the practice defined, of a visible client; 404 otherwise."""
    return get_object_or_404(
        PracticeAdministration.objects.filter(
            client__in=visible_clients(user)
        ).select_related("client", "recorded_by", "instrument"),
        code=code,
    )


def get_measure_link(
    user: User, code: UUID, *, for_update: bool = False
) -> MeasureLink:
    """A questionnaire link of a visible client; 403 on for_update off the own caseload."""
    link = get_object_or_404(
        MeasureLink.objects.filter(client__in=visible_clients(user)).select_related(
            "client"
        ),
        code=code,
    )
    if for_update and not can_edit_client(user, link.client):
        raise PermissionDenied
    return link


def get_risk_alert(user: User, code: UUID, *, for_update: bool = False) -> RiskAlert:
    """A risk alert of a visible client; acknowledging it (for_update) is for the client's own
    clinicians alone (403 for a supervisor who only reads)."""
    alert = get_object_or_404(
        RiskAlert.objects.filter(client__in=visible_clients(user)).select_related(
            "client", "administration", "acknowledged_by"
        ),
        code=code,
    )
    if for_update and not can_edit_client(user, alert.client):
        raise PermissionDenied
    return alert


def get_practice_instrument(
    user: User, code: UUID, *, for_use: bool = False
) -> PracticeInstrument:
    """An instrument the practice defined. Practice admins define and retire them; clinicians
    use (for_use) the ones in use, and an admin or a retired instrument answers 404 there."""
    if for_use:
        require_clinician(user)
        return get_object_or_404(PracticeInstrument, code=code, active=True)
    require_admin(user)
    return get_object_or_404(PracticeInstrument, code=code)


def open_risk_alerts(user: User) -> QuerySet[RiskAlert]:
    """Open risk alerts shown first on a clinician's home: clients on their own caseload and,
    for a supervisor, clients of associates (supervisees whose notes need co-signature).
    One statement: the caseloads are subqueries."""
    if not (user.is_authenticated and user.is_active and user.is_clinician):
        return RiskAlert.objects.none()
    therapists = Q(therapist_id=user.pk)
    if user.is_supervisor:
        therapists |= Q(
            therapist_id__in=Supervision.objects.current()
            .filter(supervisor_id=user.pk, requires_cosignature=True)
            .values("supervisee_id")
        )
    clients = CaseAssignment.objects.current().filter(therapists).values("client_id")
    return RiskAlert.objects.filter(
        acknowledged_at__isnull=True, client_id__in=clients
    ).select_related("client", "administration")


# --- Supervision threads: a supervisor's comment on a supervisee's note, and its replies --------


def can_take_part_in_thread(user: User, comment: SupervisionComment) -> bool:
    """The note's author and their current supervisor reply in a thread and resolve it
    (a return for revision is not a thread)."""
    return comment.kind == SupervisionComment.Kind.COMMENT and (
        comment.note.author_id == user.pk or can_comment(user, comment.note)
    )


def get_thread(user: User, code: UUID) -> SupervisionComment:
    """A thread on a note this user may read (404 otherwise); 403 unless they are the note's
    author or their current supervisor."""
    comment = get_object_or_404(
        SupervisionComment.objects.filter(
            kind=SupervisionComment.Kind.COMMENT, note__in=visible_notes(user)
        ).select_related("note__client", "note__session", "note__author", "author"),
        code=code,
    )
    if not can_take_part_in_thread(user, comment):
        raise PermissionDenied
    return comment


def open_threads(user: User) -> QuerySet[SupervisionComment]:
    """Unresolved threads for a clinician's home: on their own notes and on notes of the
    supervisees they supervise now. One statement: the supervisees are a subquery."""
    clients = _visible_client_ids(user)
    if clients is None:
        return SupervisionComment.objects.none()
    supervisees = (
        Supervision.objects.current()
        .filter(supervisor_id=user.pk)
        .values("supervisee_id")
    )
    # On a visible note (`visible_notes`: a visible client's, and a draft its author's
    # alone), written as conditions on the note the statement already joins.
    return SupervisionComment.objects.filter(
        Q(note__author_id=user.pk)
        | (
            Q(note__author_id__in=supervisees)
            & ~Q(note__status=ProgressNote.Status.DRAFT)
        ),
        kind=SupervisionComment.Kind.COMMENT,
        resolved_at__isnull=True,
        note__client_id__in=clients,
    )
