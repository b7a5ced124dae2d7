"""The in-session capture panel, inline event edits, integration ratings and the indicator set.

Every action works as a plain form post (redirect back to the panel) and as an htmx request
(the panel's live region is swapped in place and a screen reader hears what happened).
"""

from __future__ import annotations

import uuid
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from ipnb_notes import access
from ipnb_notes.http import AuthedRequest, wants_partial
from sessions.capture import kinds
from sessions.capture import services as services
from sessions.capture.forms import (
    IndicatorCreateForm,
    IndicatorEditForm,
    QuickRepairForm,
    RatingsForm,
    TagForm,
)
from sessions.models import IntegrationIndicator


def _live_context(session, user, *, after_error: bool = False) -> dict:
    # Whether the user may write and why the session takes no events now come with the
    # timeline's round trip (access.can_edit_client's rule, services.capture_refusal).
    timeline = services.timeline_context(session, user=user)
    can_write = timeline.pop("can_edit")
    refusal = timeline.pop("refusal")
    if after_error:  # the error is what the user hears; no refusal on top of it
        refusal = None
    # A fresh idempotency key per form: a double press resends the same one.
    for row in timeline["open_ruptures"]:
        row["key"] = uuid.uuid4()
    return {
        "session": session,
        "can_capture": can_write and refusal is None,
        "refusal": refusal,
        "new_key": uuid.uuid4(),
        "repair_key": uuid.uuid4(),
        **timeline,
    }


def _panel(request, session, *, tag_form=None, status=200) -> HttpResponse:
    context = _live_context(session, request.user)
    context.update(
        {
            # The tag form shows only while the session takes events.
            "tag_form": tag_form
            or (TagForm(session=session) if context["can_capture"] else None),
            # The buttons, the help table and the key map are read from sessions.capture.kinds.
            "tag_buttons": kinds.tag_buttons(),
            "shortcuts": kinds.shortcuts(),
            "key_map": kinds.key_map(),
            # The tag the no-JavaScript undo button removes: the user's newest on the
            # timeline just read (no further queries).
            "undo_expected": services.undo_token(
                max(
                    (
                        item.event
                        for item in context["timeline"]
                        if item.event.created_by_id == request.user.pk
                    ),
                    key=lambda event: (event.created_at, event.id),
                    default=None,
                )
            ),
            "clock": {
                "starts_at": session.starts_at.isoformat(),
                "max_minute": services.max_minute(session),
                "minute": services.clock_minute(session),
            },
        }
    )
    return render(request, "sessions/capture.html", context, status=status)


def _live(request, session, *, said="", error="", focus=None, last=None):
    """The panel's live region after an htmx action: timeline, open ruptures, a fresh
    idempotency key and the sentence a screen reader announces."""
    context = _live_context(session, request.user, after_error=bool(error))
    context.update(
        {
            "oob": True,
            "said": said,
            "error": error,
            "focus_code": focus,
            "last_code": last,
        }
    )
    return render(request, "sessions/capture.html#capture-live", context)


@require_GET
def capture(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session(request.user, code)
    audit.read(request, "capture.view", client=session.client, target=session)
    return _panel(request, session)


def _after_action(
    request, session, *, said="", error="", focus=None, last=None, form=None
):
    if wants_partial(request):
        return _live(request, session, said=said, error=error, focus=focus, last=last)
    if form is not None and form.errors:
        return _panel(request, session, tag_form=form, status=400)
    if error:
        messages.error(request, error)
    elif said:
        messages.success(request, said)
    return redirect("sessions:capture", code=session.code)


@require_POST
def capture_tag(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session(request.user, code, for_update=True)
    form = TagForm(request.POST, session=session)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return _after_action(request, session, error=f"Not saved: {error}", form=form)
    try:
        event, _ = services.event_create(
            session=session,
            tag=form.cleaned_data["tag"],
            minute=form.cleaned_data["minute"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            by=request.user,
            request=request,
        )
    except services.CaptureError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, str(exc))
        return _after_action(request, session, error=f"Not saved: {exc}", form=form)
    item = services.describe(event, session)
    return _after_action(request, session, said=item.announcement, last=event.code)


@require_POST
def capture_repair(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session(request.user, code, for_update=True)
    form = QuickRepairForm(request.POST, session=session)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return _after_action(request, session, error=f"Not saved: {error}")
    rupture = None
    if form.cleaned_data["rupture"]:
        rupture = (
            access.own_ruptures(request.user)
            .filter(code=form.cleaned_data["rupture"])
            .select_related("session")
            .first()
        )
        if rupture is None:
            return _after_action(
                request, session, error="Not saved: there is no such rupture."
            )
    try:
        repair, _ = services.repair_create(
            session=session,
            rupture=rupture,
            minute=form.cleaned_data["minute"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            by=request.user,
            request=request,
        )
    except services.CaptureError as exc:
        return _after_action(request, session, error=f"Not saved: {exc}")
    return _after_action(
        request,
        session,
        said=f"Repair tagged at minute {repair.minute}",
        last=repair.code,
    )


@require_POST
def capture_undo(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session(request.user, code, for_update=True)
    try:
        event = services.event_undo(
            session=session,
            by=request.user,
            request=request,
            expected=request.POST.get("expected"),
        )
    except services.CaptureError as exc:
        return _after_action(request, session, error=f"Not undone: {exc}")
    if event is None:
        return _after_action(
            request, session, error="There is no tag of yours to undo."
        )
    item = services.describe(event, session)
    return _after_action(
        request, session, said=f"Undone: {item.title} at minute {event.minute}"
    )


@require_GET
def capture_summary(request: AuthedRequest, code: UUID) -> HttpResponse:
    """The generated summary: plain text for the note editor's button, a page to copy from
    without JavaScript."""
    session = access.get_session(request.user, code)
    audit.read(request, "capture.summary_view", client=session.client, target=session)
    text = services.capture_summary(session)
    if wants_partial(request) or request.GET.get("format") == "text":
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return render(
        request, "sessions/capture_summary.html", {"session": session, "text": text}
    )


@require_http_methods(["GET", "POST"])
def event_edit(
    request: AuthedRequest, code: UUID, kind: str, event_code: UUID
) -> HttpResponse:
    session = access.get_session(request.user, code, for_update=True)
    event = services.get_event(session, kind, event_code)
    form = kinds.BY_NAME[kind].form_class(
        request.POST if request.method == "POST" else None,
        instance=event,
        session=session,
    )
    refusal = services.capture_refusal(session)
    if request.method == "POST" and refusal:
        form.is_valid()
        form.add_error(None, refusal)
    elif request.method == "POST" and form.is_valid():
        # The form wrote onto the instance; the service compares against the stored row.
        fresh = services.get_event(session, kind, event_code)
        try:
            services.event_update(
                event=fresh, data=form.cleaned_data, by=request.user, request=request
            )
        except services.CaptureError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            said = f"Updated: {services.describe(fresh, session).title} at minute {fresh.minute}"
            if wants_partial(request):
                response = _live(
                    request, session, said=said, focus=fresh.code, last=fresh.code
                )
                response["HX-Retarget"] = "#capture-live"
                response["HX-Reswap"] = "outerHTML"
                return response
            messages.success(request, said)
            return redirect(
                f"{redirect('sessions:capture', code=session.code).url}#event-{fresh.code}"
            )
    context = {
        "session": session,
        "form": form,
        "kind": kind,
        "event_kind": kinds.BY_NAME[kind],
        "event": event,
        "refusal": refusal,
    }
    template = "sessions/capture_event_edit.html"
    if wants_partial(request):
        template += "#edit-form"
    if request.method == "GET":  # the form shows the event: a read (AUD-01)
        audit.read(
            request, "capture.event_edit_view", client=session.client, target=session
        )
    status = 400 if request.method == "POST" and not wants_partial(request) else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def ratings(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session(request.user, code)
    can_write = access.can_edit_client(request.user, session.client)
    if request.method == "POST" and not can_write:
        access.require_post_allowed(False)
    refusal = services.capture_refusal(session)
    rows = services.rating_rows(session)
    form = RatingsForm(request.POST if request.method == "POST" else None, rows=rows)
    status = 200
    if request.method == "POST":
        if refusal:
            form.is_valid()
            form.add_error(None, refusal)
            status = 400
        elif form.is_valid():
            try:
                changed = services.ratings_save(
                    session=session,
                    values=form.values(),
                    by=request.user,
                    request=request,
                )
            except services.CaptureError as exc:
                form.add_error(
                    exc.field if exc.field in form.fields else None, str(exc)
                )
                status = 400
            else:
                messages.success(
                    request,
                    f"Integration ratings saved ({len(changed)} changed)."
                    if changed
                    else "No rating changed.",
                )
                return redirect("sessions:ratings", code=session.code)
        else:
            status = 400
    else:
        audit.read(request, "ratings.view", client=session.client, target=session)
    if not can_write or refusal:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "session": session,
        "form": form,
        "groups": form.grouped(),
        "can_rate": can_write and not refusal,
        "refusal": refusal,
    }
    return render(request, "sessions/ratings.html", context, status=status)


# --- The indicator set (practice admins) -------------------------------------------------------


@require_GET
def indicator_list(request: AuthedRequest) -> HttpResponse:
    access.require_admin(request.user)
    from django.db.models import Count

    indicators = IntegrationIndicator.objects.annotate(rating_count=Count("ratings"))
    return render(request, "sessions/indicator_list.html", {"indicators": indicators})


@require_http_methods(["GET", "POST"])
def indicator_create(request: AuthedRequest) -> HttpResponse:
    access.require_admin(request.user)
    form = IndicatorCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_create(
                data=form.cleaned_data, by=request.user, request=request
            )
        except services.CaptureError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, f"Indicator “{indicator.label}” added.")
            return redirect("sessions:indicator_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sessions/indicator_form.html",
        {"form": form, "indicator": None},
        status=status,
    )


def _indicator(user, code: str) -> IntegrationIndicator:
    access.require_admin(user)
    return get_object_or_404(IntegrationIndicator, code=code)


@require_http_methods(["GET", "POST"])
def indicator_edit(request: AuthedRequest, code: str) -> HttpResponse:
    indicator = _indicator(request.user, code)
    form = IndicatorEditForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        fresh = IntegrationIndicator.objects.get(pk=indicator.pk)
        services.indicator_update(
            indicator=fresh, data=form.cleaned_data, by=request.user, request=request
        )
        messages.success(request, f"Indicator “{fresh.label}” saved.")
        return redirect("sessions:indicator_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sessions/indicator_form.html",
        {"form": form, "indicator": indicator},
        status=status,
    )


@require_POST
def indicator_retire(request: AuthedRequest, code: str) -> HttpResponse:
    indicator = _indicator(request.user, code)
    services.indicator_set_retired(
        indicator=indicator, retired=True, by=request.user, request=request
    )
    messages.success(
        request,
        f"“{indicator.label}” retired: it is no longer offered; past ratings stay.",
    )
    return redirect("sessions:indicator_list")


@require_POST
def indicator_reinstate(request: AuthedRequest, code: str) -> HttpResponse:
    indicator = _indicator(request.user, code)
    services.indicator_set_retired(
        indicator=indicator, retired=False, by=request.user, request=request
    )
    messages.success(request, f"“{indicator.label}” is offered again.")
    return redirect("sessions:indicator_list")
