"""Sessions, progress notes, signing, addenda, co-signature, supervision comments, process notes."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from clients.models import TreatmentGoal
from ipnb_notes import access, batch, links
from ipnb_notes.http import AuthedRequest, wants_partial
from measures.instruments import CHECKIN_STATUS
from sessions.capture.services import timeline_context
from sessions.models import (
    ProgressNote,
    SupervisionComment,
    TherapySession,
)
from sessions.notes import formats as note_formats
from sessions.notes import record
from sessions.notes import services as services
from sessions.notes.forms import (
    AddendumForm,
    CommentForm,
    CosignForm,
    NoteForm,
    Printed,
    ProcessNoteForm,
    ReturnForm,
    offered_goals,
    printed,
    printed_reply,
)
from sessions.notes.models import INTERVENTIONS

_INTERVENTION_LABELS = dict(INTERVENTIONS)

# The record's and the editor's form widgets (the editor's two lists of checkboxes, its risk
# selects and section textareas; the co-signature, return, comment, reply and addendum forms)
# rendered by Django's Jinja2 form renderer: the same markup from Django's own widget
# templates (django/forms/jinja2/, autoescaped), without a Django template render per widget
# and option. It holds compiled widget templates only, never a user's data.
_WIDGETS = Jinja2FormRenderer()


# --- Sessions ---------------------------------------------------------------------------------------


@require_GET
def session_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    session, note = access.get_session_with_note(request.user, code)
    # One audit event for the page: the session read, naming the note shown with it.
    _session_read(request, session, note=note)
    return _session_page(request, session, note)


def _session_page(request, session, note, *, status=200, reply=None) -> HttpResponse:
    """The session page; `reply` is (thread code, bound ReplyForm) after a refused reply."""
    # The reader's edit right (access.can_edit_client's rule) rides with the timeline's reads.
    timeline = timeline_context(session, user=request.user)
    can_edit = timeline.pop("can_edit")
    timeline.pop("refusal")
    context = {
        "session": session,
        "client": session.client,
        "can_edit": can_edit,
        **_record_context(request, note, read=False, timeline=timeline, reply=reply),
        **timeline,
        # The session page shows no capture controls (the capture panel does).
        "can_capture": False,
        "focus_code": None,
        "checkin_status": CHECKIN_STATUS,
        "thread_back": "session",
    }
    return render(request, "sessions/session_detail.html", context, status=status)


def _session_read(request: AuthedRequest, session, *, note=None) -> None:
    """The session page's read, naming the note shown with it (code and status)."""
    audit.read(
        request,
        "session.view",
        client=session.client,
        target=session,
        changes={"note": str(note.code), "note_status": note.status} if note else {},
    )


def _record_context(
    request: AuthedRequest,
    note: ProgressNote | None,
    *,
    read: bool = True,
    timeline: dict | None = None,
    reply=None,
) -> dict:
    """The note as shown read-only, with its addenda, signatures and supervision threads,
    each thread beside its section, beside its moment on the timeline (when the page shows
    it) or, about the note as a whole, with the note's comments."""
    if note is None:
        return {"note": None}
    if read:
        audit.read(request, "note.view", client=note.client, target=note)
    sections = note.sections or {}
    shown = [
        {"key": k, "label": note_formats.SECTION_LABELS[k], "text": sections.get(k, "")}
        for k in note_formats.FORMAT_SECTIONS.get(note.format, [])
    ]
    shown.append({"key": "plan", "label": "Plan", "text": note.plan})
    # One statement for the note's goals, addenda, signatures, comments, their replies,
    # the reader's supervision of its author (which decides who may read the revisions,
    # co-sign, comment), for a clinician reader the revisions, and the practice's late-note
    # threshold (sessions.notes.record).
    (
        goals,
        addenda,
        signatures,
        comments,
        replies,
        links,
        revisions,
        late_hours,
    ) = record.read(
        request.user,
        note.pk,
        note.author_id,
        revisions=request.user.is_clinician,
    )
    for row in (*addenda, *signatures, *comments, *(revisions or ())):
        row.note = note
    rights = access.note_rights(request.user, note, links=links)
    services.attach_replies(comments, replies)
    # The author and their current supervisor take part in the threads (access rules).
    takes_part = note.author_id == request.user.pk or rights["can_comment"]
    bad_code, bad_form = reply or (None, None)
    for comment in comments:
        comment.can_reply = (
            takes_part and comment.kind == SupervisionComment.Kind.COMMENT
        )
        if comment.can_reply:
            # A refused reply shows its own bound form; the others are printed from the
            # one reply form built per process (forms.printed_reply).
            comment.reply_form = (
                bad_form if comment.code == bad_code else printed_reply(comment.code)
            )
    late_after = timedelta(hours=late_hours)
    rest = services.place_threads(
        comments, sections=shown, timeline=(timeline or {}).get("timeline")
    )
    return {
        "note": note,
        "note_sections": shown,
        "comment_note": note if rights["can_comment"] else None,
        "note_goals": goals,
        "note_interventions": [
            _INTERVENTION_LABELS.get(i, i) for i in note.interventions or []
        ],
        "addenda": addenda,
        "signatures": signatures,
        "comments": rest,
        "is_author": note.author_id == request.user.pk,
        "rights": rights,
        # can_read_revisions implies a clinician reader, whose statement read the list.
        "revisions": revisions if rights["can_read_revisions"] else None,
        # DOMAIN.md 5.3: a note signed well after the service is marked as a late entry.
        "late_entry": bool(
            note.signed_at and note.signed_at - note.session.ends_at > late_after
        ),
        "late_hours": late_hours,
    }


# --- Progress note editor ---------------------------------------------------------------------------


class _ListedGoals(ModelChoiceIterator):
    """The goal choices of one editor, read once (with their client, which their labels
    name) instead of by a count, then a server-side cursor, then a client per goal. It
    never builds the field's queryset (OfferedGoalsField builds it when a save reads it)."""

    def __init__(self, field):
        self.field = field

    def __iter__(self):
        for goal in self.field.listed_goals:
            yield self.choice(goal)

    def __len__(self):
        return len(self.field.listed_goals)

    def __bool__(self):
        return bool(self.field.listed_goals)


def _editor_reads(user, note_id: int, client_id: int, *, initial: bool, returned: bool):
    """The editor's reads: the goals the form offers (with their client, which their labels
    name), whether the author's supervision requires co-signature, the list of revisions
    (no content; access.readable_revisions), the goals the note addresses (an unbound
    form's initial value) and, for a returned note, the supervisor's comments."""
    reads = [
        offered_goals(note_id, client_id).select_related("client"),
        services.cosignature_links(user),
        batch.sorted_here(
            access.readable_revisions(user, services.revisions_listed(note_id))
        ),
    ]
    if initial:
        reads.append(TreatmentGoal.objects.filter(notes=note_id))
    if returned:
        reads.append(
            batch.sorted_here(
                SupervisionComment.objects.filter(note_id=note_id).select_related(
                    "author"
                )
            )
        )
    return reads


# Built and compiled once per shape of reader (batch.Baked).
_EDITOR_READS = batch.Baked(_editor_reads)


def _editor(request, session, note, form, *, status=200, conflict=None) -> HttpResponse:
    """The editor page. Its reads (_editor_reads) go in one round trip."""
    field = form.fields["goals_addressed"]
    initial = isinstance(form.initial.get("goals_addressed"), QuerySet) and (
        not form.is_bound
    )
    returned = note.status == ProgressNote.Status.RETURNED
    listed, cosign_links, revisions, *rest = batch.fetch(
        *_EDITOR_READS(
            request.user,
            note.pk,
            note.client_id,
            initial=initial,
            returned=returned,
        )
    )
    if initial:
        form.initial["goals_addressed"] = rest.pop(0)
    comments = rest.pop(0) if returned else []
    for row in (*revisions, *comments):
        row.note = note
    field.listed_goals = listed
    field.iterator = _ListedGoals
    field.widget.choices = field.choices
    form.renderer = _WIDGETS
    context = {
        "session": session,
        "client": session.client,
        "note": note,
        "form": form,
        # The fields' widgets as plain values, printed by the editor's partials.
        "widgets": form.widgets(),
        "conflict": conflict,
        "comments": comments,
        "requires_cosignature": bool(cosign_links),
        # The editor is its author's (access.get_session_note_for_edit): theirs to read.
        "revisions": revisions
        if access.can_read_revisions(request.user, note)
        else None,
        # Its links from their patterns reversed once per process (ipnb_notes.links).
        "login_url": links.link("account_login")
        + "?next="
        + links.link("sessions:session_detail", session.code),
        "edit_url": links.link("sessions:note_edit", session.code),
        "autosave_url": links.link("sessions:note_autosave", session.code),
        "last_plan_url": links.link("sessions:note_last_plan", session.code),
    }
    return render(request, "sessions/note_edit.html", context, status=status)


def _conflict(note: ProgressNote, form: NoteForm) -> dict:
    """Both texts, section by section: what the user typed and what is stored now."""
    current = note
    stored_sections = current.sections or {}
    mine = form.data
    rows = []
    keys = list(
        dict.fromkeys(
            note_formats.FORMAT_SECTIONS.get(mine.get("format"), [])
            + note_formats.FORMAT_SECTIONS.get(current.format, [])
        )
    )
    for key in keys:
        rows.append(
            {
                "label": note_formats.SECTION_LABELS[key],
                "mine": mine.get(f"section_{key}", ""),
                "stored": stored_sections.get(key, ""),
            }
        )
    rows.append({"label": "Plan", "mine": mine.get("plan", ""), "stored": current.plan})
    rows.append(
        {
            "label": "Risk details",
            "mine": mine.get("risk_details", ""),
            "stored": current.risk_details,
        }
    )
    for row in rows:
        row["differs"] = (row["mine"] or "").strip() != (row["stored"] or "").strip()
    return {
        "rows": rows,
        "version": current.version,
        "saved_at": current.updated_at,
        "discard_url": reverse("sessions:note_edit", args=[current.session.code]),
    }


def _note_start(request, session, *, process: bool = False) -> HttpResponse:
    """The page for a session without a note: one button that POSTs to start it. A GET never
    creates a note, so a link from another site cannot write into the record."""
    _session_read(request, session)
    context = {"session": session, "client": session.client, "process": process}
    return render(request, "sessions/note_start.html", context)


@require_http_methods(["GET", "POST"])
def note_edit(request: AuthedRequest, code: UUID) -> HttpResponse:
    session, note = access.get_session_note_for_edit(request.user, code)
    if note is None:
        if session.status != TherapySession.Status.ATTENDED:
            messages.error(request, "Only an attended session has a progress note.")
            return redirect(session)
        if request.method == "GET":
            return _note_start(request, session)
        try:
            note = services.note_open(session=session, by=request.user, request=request)
        except services.NoteError as exc:
            messages.error(request, str(exc))
            return redirect(session)
        # Text posted to a note that no longer exists goes through the save below: its
        # version check shows a conflict with the text kept, never a silent loss.
    if request.method == "POST" and request.POST.get("action") == "start":
        # Started (again, from a second tab or a double click): open the one draft.
        return redirect("sessions:note_edit", code=session.code)
    note.session, note.client = session, session.client
    if request.method == "GET":
        audit.read(request, "note.view", client=session.client, target=note)
        return _editor(request, session, note, NoteForm(note=note))

    form = NoteForm(request.POST, note=note)
    if request.POST.get("action") == "load_last":
        # No-JS path of "Load last note": re-show what was typed with the previous plan in place.
        data = request.POST.copy()
        data["plan"] = _last_plan(request, note) or data.get("plan", "")
        return _editor(request, session, note, NoteForm(data, note=note))
    if not form.is_valid() and "version" in form.errors:
        return _editor(request, session, note, form, status=400)
    try:
        note = services.note_save(
            note=note,
            by=request.user,
            data=form.note_data(),
            version=form.cleaned_data["version"],
            request=request,
        )
    except services.VersionConflict as exc:
        return _conflict_response(request, session, exc.current, form, full=True)
    except services.NoteError as exc:
        messages.error(request, str(exc))
        return redirect(session)
    if form.errors:
        messages.warning(
            request,
            "Draft saved, except the fields marked below. Nothing typed was lost.",
        )
        data = request.POST.copy()
        data["version"] = note.version
        bad = NoteForm(data, note=note)
        bad.is_valid()
        return _editor(request, session, note, bad, status=400)
    messages.success(
        request, f"Draft saved {timezone.localtime(note.updated_at):%H:%M}."
    )
    if form.risk_warning:
        messages.warning(request, form.risk_warning)
    return redirect("sessions:note_edit", code=session.code)


def _conflict_response(request, session, current, form, *, full: bool) -> HttpResponse:
    conflict = _conflict(current, form)
    if not full:
        return render(
            request,
            "sessions/note_edit.html#note-conflict",
            {"conflict": conflict, "session": session},
            status=409,
        )
    # The form keeps the user's text; its version becomes the stored one, so saving again is
    # the explicit choice to keep this text over the stored one.
    data = form.data.copy()
    data["version"] = current.version
    return _editor(
        request,
        session,
        current,
        NoteForm(data, note=current),
        status=409,
        conflict=conflict,
    )


@require_POST
def note_autosave(request: AuthedRequest, code: UUID) -> HttpResponse:
    session, note = access.get_session_note_for_edit(request.user, code)
    if note is None:
        raise Http404
    note.session, note.client = session, session.client
    form = NoteForm(request.POST, note=note)
    form.is_valid()
    if "version" in form.errors or "version" not in form.cleaned_data:
        return JsonResponse({"error": "bad_request"}, status=400)
    try:
        note = services.note_save(
            note=note,
            by=request.user,
            data=form.note_data(),
            version=form.cleaned_data["version"],
            request=request,
            autosave=True,
        )
    except services.VersionConflict as exc:
        return _conflict_response(request, session, exc.current, form, full=False)
    except services.NoteError as exc:
        return JsonResponse({"error": "locked", "message": str(exc)}, status=409)
    saved = f"{timezone.localtime(note.updated_at):%H:%M}"
    return JsonResponse(
        {
            "version": note.version,
            "saved_at": saved,
            "message": f"Saved {saved}",
            "errors": {k: [str(e) for e in v] for k, v in form.errors.items()},
            "warning": form.risk_warning,
        }
    )


@require_GET
def note_last_plan(request: AuthedRequest, code: UUID) -> HttpResponse:
    session, note = access.get_session_note_for_edit(request.user, code)
    if note is None:
        raise Http404
    note.session, note.client = session, session.client
    return JsonResponse({"plan": _last_plan(request, note)})


def _last_plan(request: AuthedRequest, note: ProgressNote) -> str:
    """The client's previous signed plan, for the note being written: a read of the record."""
    audit.read(request, "note.last_plan_view", client=note.client, target=note)
    return services.last_signed_plan(note=note)


@require_POST
def note_sign(request: AuthedRequest, code: UUID) -> HttpResponse:
    session, note = access.get_session_note_for_edit(request.user, code)
    if note is None:
        raise Http404
    note.session, note.client = session, session.client
    form = NoteForm(request.POST, note=note, signing=True)
    if not form.is_valid():
        return _editor(request, session, note, form, status=400)
    try:
        note = services.note_save(
            note=note,
            by=request.user,
            data=form.note_data(),
            version=form.cleaned_data["version"],
            request=request,
            signing=True,
        )
        note = services.note_sign(note=note, by=request.user, request=request)
    except services.VersionConflict as exc:
        return _conflict_response(request, session, exc.current, form, full=True)
    except services.NoteError as exc:
        form.add_error(None, str(exc))
        return _editor(request, session, note, form, status=400)
    if note.status == ProgressNote.Status.AWAITING_COSIGNATURE:
        messages.success(
            request, "Signed and sent to your supervisor for co-signature."
        )
    else:
        messages.success(
            request, "Signed. The note is now locked; corrections are addenda."
        )
    return redirect(note)


# --- The signed record ------------------------------------------------------------------------------


def _comment_form_for(request, note) -> CommentForm:
    """The comment form, anchored to what the "Comment" action beside a moment or a section
    names (?anchor_type=&anchor_code= or ?anchor_section=); the form checks the anchor."""
    initial = {}
    if request.method == "GET":
        initial = {
            k: request.GET[k]
            for k in ("anchor_type", "anchor_code", "anchor_section")
            if request.GET.get(k)
        }
    anchor = initial.get("anchor_code") or initial.get("anchor_section")
    if anchor:  # several forms may be open on one page: ids of their own
        return CommentForm(
            note=note, initial=initial, auto_id=f"comment-{slugify(anchor)}-%s"
        )
    return CommentForm(note=note, initial=initial)


def _anchored(request) -> bool:
    """Whether the request names an anchor for the comment form (_comment_form_for)."""
    return request.method == "GET" and any(
        request.GET.get(k) for k in ("anchor_type", "anchor_code", "anchor_section")
    )


def _note_page(request, note, *, status=200, reply=None, **forms) -> HttpResponse:
    """The note review page: the note, its threads and the session's timeline, so that a
    supervisor reviews the note and the moments together."""
    user = request.user
    timeline = timeline_context(note.session)
    context = {
        "session": note.session,
        "client": note.client,
        **(record := _record_context(request, note, timeline=timeline, reply=reply)),
        **timeline,
        "can_capture": False,
        "focus_code": None,
        "checkin_status": CHECKIN_STATUS,
        "thread_back": "note",
        "can_cosign": record["rights"]["can_cosign"],
        "can_comment": record["rights"]["can_comment"],
        "can_edit": access.can_edit_note(user, note),
        "can_addend": note.author_id == user.pk and not note.is_editable,
    }
    # The unbound review and comment forms are printed from values worked out once per
    # process (forms.printed); a refused post shows its own bound form.
    if context["can_cosign"]:
        context["cosign_form"] = forms.get("cosign_form") or printed(CosignForm, note)
        context["return_form"] = forms.get("return_form") or printed(ReturnForm)
    if context["can_comment"]:
        context["comment_form"] = forms.get("comment_form") or (
            _comment_form_for(request, note)
            if _anchored(request)
            else printed(CommentForm, note)
        )
    if context["can_addend"]:
        context["addendum_form"] = forms.get("addendum_form") or AddendumForm(note=note)
    for name in ("cosign_form", "return_form", "comment_form", "addendum_form"):
        if name in context and not isinstance(context[name], Printed):
            context[name].renderer = _WIDGETS
    return render(request, "sessions/note_detail.html", context, status=status)


@require_GET
def note_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    note = access.get_note(request.user, code)
    if note.is_editable and note.author_id == request.user.pk:
        return redirect("sessions:note_edit", code=note.session.code)
    if wants_partial(request) and access.can_comment(request.user, note):
        # The "Comment" action beside a moment or a section opens the form in place.
        audit.read(request, "note.comment_form_view", client=note.client, target=note)
        form = _comment_form_for(request, note)
        return render(
            request, "sessions/_comment_form.html", {"note": note, "form": form}
        )
    return _note_page(request, note)


@require_POST
def note_cosign(request: AuthedRequest, code: UUID) -> HttpResponse:
    note = access.get_note_for_review(request.user, code)
    form = CosignForm(request.POST, note=note)
    if form.is_valid():
        try:
            services.note_cosign(note=note, by=request.user, request=request)
        except services.NoteError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Co-signed. The note is now signed and locked.")
            return redirect("home")
    return _note_page(request, note, status=400, cosign_form=form)


@require_POST
def note_return(request: AuthedRequest, code: UUID) -> HttpResponse:
    note = access.get_note_for_review(request.user, code)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.note_return(
                note=note,
                by=request.user,
                comment=form.cleaned_data["comment"],
                request=request,
            )
        except services.NoteError as exc:
            form.add_error("comment", str(exc))
        else:
            messages.success(request, f"Returned to {note.author} for revision.")
            return redirect("home")
    return _note_page(request, note, status=400, return_form=form)


@require_POST
def note_comment(request: AuthedRequest, code: UUID) -> HttpResponse:
    note = access.get_note_for_comment(request.user, code)
    form = CommentForm(request.POST, note=note)
    if form.is_valid():
        try:
            comment = services.comment_add(
                note=note,
                by=request.user,
                text=form.cleaned_data["text"],
                anchor_type=form.cleaned_data.get("anchor_type") or "",
                anchor_code=form.cleaned_data.get("anchor_code"),
                anchor_section=form.cleaned_data.get("anchor_section") or "",
                idempotency_key=form.cleaned_data.get("idempotency_key"),
                request=request,
            )
        except services.NoteError as exc:
            form.add_error("text", str(exc))
        else:
            messages.success(
                request, f"Comment added. {note.author} sees it on their home page."
            )
            return redirect(comment)
    return _note_page(request, note, status=400, comment_form=form)


@require_POST
def addendum_create(request: AuthedRequest, code: UUID) -> HttpResponse:
    note = access.get_note_for_addendum(request.user, code)
    form = AddendumForm(request.POST, note=note)
    if form.is_valid():
        try:
            addendum = services.addendum_add(
                note=note,
                by=request.user,
                text=form.cleaned_data["text"],
                idempotency_key=form.cleaned_data.get("idempotency_key"),
                request=request,
            )
        except services.NoteError as exc:
            raise PermissionDenied from exc
        messages.success(request, "Addendum signed and added.")
        return redirect(addendum)
    return _note_page(request, note, status=400, addendum_form=form)


# --- Psychotherapy (process) notes ------------------------------------------------------------------


def _process_page(request, session, pnote, form, *, status=200, conflict=None):
    context = {
        "session": session,
        "client": session.client,
        "pnote": pnote,
        "form": form,
        "conflict": conflict,
        "login_url": reverse("account_login")
        + "?next="
        + reverse("sessions:session_detail", args=[session.code]),
    }
    return render(request, "sessions/process_note.html", context, status=status)


@require_http_methods(["GET", "POST"])
def process_note(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session_for_process_note(request.user, code)
    if request.method == "GET":
        pnote = access.own_process_notes(request.user).filter(session=session).first()
        if pnote is None:
            return _note_start(request, session, process=True)
        pnote.session = session
        audit.read(request, "process_note.view", client=session.client, target=pnote)
        form = ProcessNoteForm(initial={"version": pnote.version, "text": pnote.text})
        return _process_page(request, session, pnote, form)
    pnote = services.process_note_open(session=session, by=request.user)
    if request.POST.get("action") == "start":
        return redirect("sessions:process_note", code=session.code)
    form = ProcessNoteForm(request.POST)
    if not form.is_valid():
        return _process_page(request, session, pnote, form, status=400)
    try:
        pnote = services.process_note_save(
            pnote=pnote,
            by=request.user,
            text=form.cleaned_data["text"],
            version=form.cleaned_data["version"],
            request=request,
        )
    except services.VersionConflict as exc:
        data = request.POST.copy()
        data["version"] = exc.current.version
        conflict = {
            "rows": [
                {
                    "label": "Psychotherapy note",
                    "mine": form.cleaned_data["text"],
                    "stored": exc.current.text,
                    "differs": True,
                }
            ],
            "version": exc.current.version,
            "saved_at": exc.current.updated_at,
            "discard_url": reverse("sessions:process_note", args=[session.code]),
        }
        return _process_page(
            request,
            session,
            exc.current,
            ProcessNoteForm(data),
            status=409,
            conflict=conflict,
        )
    messages.success(request, f"Saved {timezone.localtime(pnote.updated_at):%H:%M}.")
    return redirect("sessions:process_note", code=session.code)


@require_POST
def process_note_autosave(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session_for_process_note(request.user, code)
    pnote = services.process_note_open(session=session, by=request.user)
    form = ProcessNoteForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "bad_request"}, status=400)
    try:
        pnote = services.process_note_save(
            pnote=pnote,
            by=request.user,
            text=form.cleaned_data["text"],
            version=form.cleaned_data["version"],
            request=request,
            autosave=True,
        )
    except services.VersionConflict as exc:
        conflict = {
            "rows": [
                {
                    "label": "Psychotherapy note",
                    "mine": form.cleaned_data["text"],
                    "stored": exc.current.text,
                    "differs": True,
                }
            ],
            "version": exc.current.version,
            "saved_at": exc.current.updated_at,
            "discard_url": reverse("sessions:process_note", args=[session.code]),
        }
        return render(
            request,
            "sessions/note_edit.html#note-conflict",
            {"conflict": conflict, "session": session},
            status=409,
        )
    saved = f"{timezone.localtime(pnote.updated_at):%H:%M}"
    return JsonResponse(
        {"version": pnote.version, "saved_at": saved, "message": f"Saved {saved}"}
    )
