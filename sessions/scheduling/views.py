"""Scheduling pages: one session (new, edit), a recurring series, moving and cancelling, the
home's one-click marks, the day and week calendar, and the calendar feed with its settings."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from ipnb_notes import access
from ipnb_notes.http import AuthedRequest, over_rate_limit, wants_partial
from sessions.models import TherapySession
from sessions.notes.services import NoteError
from sessions.scheduling import practice_cells, queries, recurrence, services
from sessions.scheduling.forms import (
    SERVICE_CODES,
    CancelForm,
    FeedForm,
    MarkForm,
    MoveForm,
    ScheduleSessionForm,
    SeriesForm,
    WeekForm,
)

# The feed's token is shown once, on the page the clinician returns to after issuing it.
_NEW_FEED_TOKEN = "scheduling:new_feed_token"


def _spans(starts, minutes: int):
    return [(s, s + timedelta(minutes=minutes)) for s in starts]


# --- One session -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def session_create(request: AuthedRequest, client_code: UUID) -> HttpResponse:
    client = access.get_client(request.user, client_code, for_update=True)
    if request.method == "POST":
        form = ScheduleSessionForm(request.POST)
    else:
        now = timezone.localtime()
        form = ScheduleSessionForm(
            initial={
                "date": now.date(),
                "start_time": now.replace(minute=0, second=0, microsecond=0).time(),
            }
        )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        key = form.cleaned_data.get("idempotency_key")
        # A repeated submit of a saved form returns its session: no warning about itself.
        found = (
            []
            if queries.already_created(key, by=request.user)
            else queries.conflicts(
                request.user, _spans([data["starts_at"]], data["duration_minutes"])
            )
        )
        if form.warn_conflicts(found):
            session, created = services.session_create(
                client=client,
                by=request.user,
                idempotency_key=key,
                request=request,
                **data,
            )
            if created:
                messages.success(request, "Session saved.")
            return redirect(session)
    if request.method == "GET":  # the form names the client: a read (AUD-01)
        audit.read(request, "session.create_view", client=client)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "client": client, "service_codes": SERVICE_CODES}
    return render(request, "sessions/session_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def session_edit(request: AuthedRequest, code: UUID) -> HttpResponse:
    session = access.get_session(request.user, code, for_update=True)
    form = ScheduleSessionForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        moved = data["starts_at"] != session.starts_at or (
            data["duration_minutes"] != session.duration_minutes
        )
        found = (
            queries.conflicts(
                session.therapist,
                _spans([data["starts_at"]], data["duration_minutes"]),
                exclude=[session.pk],
            )
            if moved and data["status"] == TherapySession.Status.SCHEDULED
            else []
        )
        if form.warn_conflicts(found):
            try:
                services.session_update(
                    session=session, by=request.user, data=data, request=request
                )
            except NoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Session updated.")
                return redirect(session)
    status = 400 if request.method == "POST" else 200
    if request.method == "GET":  # the form shows the session: a read (AUD-01)
        audit.read(request, "session.edit_view", client=session.client, target=session)
    context = {
        "form": form,
        "client": session.client,
        "session": session,
        "service_codes": SERVICE_CODES,
    }
    return render(request, "sessions/session_form.html", context, status=status)


# --- Recurring appointments --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def series_create(request: AuthedRequest, client_code: UUID) -> HttpResponse:
    client = access.get_client(request.user, client_code, for_update=True)
    form = SeriesForm(request.POST or None)
    preview: list = []
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        preview = services.series_dates(
            starts_at=data["starts_at"],
            frequency=data["frequency"],
            until=data["until"],
            count=data["count"],
        )
        found = queries.conflicts(
            request.user, _spans(preview, data["duration_minutes"])
        )
        if not preview:
            form.add_error("until", "The series ends before its first session.")
        elif form.warn_conflicts(found):
            series = services.series_create(
                client=client, by=request.user, request=request, **data
            )
            messages.success(request, f"{series.sessions.count()} sessions scheduled.")
            return redirect(client)
    if request.method == "GET":  # the form names the client: a read (AUD-01)
        audit.read(request, "series.create_view", client=client)
    context = {
        "form": form,
        "client": client,
        "service_codes": SERVICE_CODES,
        "preview": [timezone.localtime(s) for s in preview],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "scheduling/series_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def session_move(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Reschedule one session, or it and the following ones of its series."""
    session = access.get_session(request.user, code, for_update=True)
    form = MoveForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reached = services.changeable(session, data["scope"])
        # The moved sessions' new times, checked against the clinician's other sessions.
        tz = timezone.get_current_timezone()
        days = (data["date"] - timezone.localtime(session.starts_at, tz).date()).days
        spans = _spans(
            recurrence.shifted(
                list(reached.values_list("starts_at", flat=True)),
                days=days,
                at=data["start_time"],
                tz=tz,
            ),
            data["duration_minutes"],
        )
        # The session's own clinician's other sessions (a co-therapist may move it).
        found = queries.conflicts(
            session.therapist, spans, exclude=reached.values_list("pk", flat=True)
        )
        if form.warn_conflicts(found):
            try:
                moved = services.sessions_move(
                    session=session,
                    by=request.user,
                    day=data["date"],
                    at=data["start_time"],
                    duration_minutes=data["duration_minutes"],
                    scope=data["scope"],
                    request=request,
                )
            except NoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"{moved} session{'s' if moved != 1 else ''} moved."
                )
                session.refresh_from_db()
                return redirect(session)
    if request.method == "GET":
        audit.read(request, "session.move_view", client=session.client, target=session)
    context = {"form": form, "session": session, "client": session.client}
    status = 400 if request.method == "POST" else 200
    return render(request, "scheduling/session_move.html", context, status=status)


@require_http_methods(["GET", "POST"])
def session_cancel(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Cancel one session, or it and the following ones of its series, with a reason."""
    session = access.get_session(request.user, code, for_update=True)
    form = CancelForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services.sessions_cancel(
                session=session,
                by=request.user,
                reason=form.cleaned_data["reason"],
                scope=form.cleaned_data["scope"],
                request=request,
            )
        except NoteError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"{cancelled} session{'s' if cancelled != 1 else ''} cancelled.",
            )
            return redirect(session)
    if request.method == "GET":
        audit.read(
            request, "session.cancel_view", client=session.client, target=session
        )
    context = {"form": form, "session": session, "client": session.client}
    status = 400 if request.method == "POST" else 200
    return render(request, "scheduling/session_cancel.html", context, status=status)


@require_POST
def session_mark(request: AuthedRequest, code: UUID) -> HttpResponse:
    """The home's one-click Attended / No-show / Cancelled of a past session still
    scheduled: an htmx request gets the row back, a plain post goes home."""
    session = access.get_session(request.user, code, for_update=True)
    form = MarkForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            session = services.session_mark(
                session=session,
                by=request.user,
                status=form.cleaned_data["status"],
                request=request,
            )
        except NoteError as exc:
            error = str(exc)
    else:
        error = "Choose attended, no-show or cancelled."
    if wants_partial(request):
        context = {
            "s": session,
            "error": error,
            "marked": not error,
            "mark_choices": MarkForm.base_fields["status"].choices,
        }
        return render(
            request,
            "home/_past_scheduled.html#past-row",
            context,
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, f"Session marked {session.get_status_display().lower()}."
        )
    return redirect("home")


# --- The calendar ------------------------------------------------------------------------------


@require_GET
def calendar(request: AuthedRequest) -> HttpResponse:
    """A clinician's day (?day=2026-03-03) or week (?week=2026-W10, the default: this
    week); for a practice admin, every clinician's week as busy blocks."""
    today = timezone.localdate()
    form = WeekForm(request.GET or None)
    monday = today - timedelta(days=today.weekday())
    day = None
    try:
        if request.GET.get("day"):
            day = queries.parse_day(request.GET["day"])
            monday = day - timedelta(days=day.weekday())
        elif request.GET.get("week"):
            monday = queries.parse_week(request.GET["week"])
    except ValueError:
        form.is_valid()
        form.add_error(
            "week", "Enter a week such as 2026-W10 (or a day such as 2026-03-03)."
        )
        day = None
    if request.user.is_practice_admin:
        day = None  # the admin's view is a week: a day opens the week it falls in
        week = queries.practice_week(request.user, monday)
        audit.read(request, "calendar.practice_view", clients=[])
        context = {"practice": week, "practice_rows": practice_cells.rows(week)}
        template = "scheduling/practice_calendar.html"
    else:
        first, n = (day, 1) if day else (monday, 7)
        days, shown = queries.clinician_days(request.user, first, n)
        audit.read(request, "calendar.view", clients=shown)
        context = {"days": days, "day": day}
        template = "scheduling/calendar.html"
    step = timedelta(days=1) if day else timedelta(days=7)
    anchor = day or monday
    base = reverse("sessions:calendar")
    context |= {
        "form": form,
        "monday": monday,
        "week": queries.iso_week(monday),
        "previous": _calendar_link(base, anchor - step, by_day=bool(day)),
        "next": _calendar_link(base, anchor + step, by_day=bool(day)),
        "today_link": _calendar_link(base, today, by_day=bool(day)),
        "week_link": _calendar_link(base, monday, by_day=False),
    }
    return render(request, template, context, status=400 if form.errors else 200)


def _calendar_link(base: str, day, *, by_day: bool) -> str:
    if by_day:
        return f"{base}?day={day.isoformat()}"
    return f"{base}?week={queries.iso_week(day)}"


# --- The calendar feed -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def feed_settings(request: AuthedRequest) -> HttpResponse:
    """The clinician's private calendar feed: issue or replace its address, revoke it, choose
    what its events are called."""
    access.require_clinician(request.user)
    form = FeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        if action == "issue":
            token = services.feed_issue(by=request.user, request=request)
            request.session[_NEW_FEED_TOKEN] = token
            messages.success(request, "Your calendar feed has a new address.")
        elif action == "revoke":
            if services.feed_revoke(by=request.user, request=request):
                messages.success(request, "The calendar feed address no longer works.")
        else:
            services.feed_title_set(
                by=request.user, title=form.cleaned_data["title"], request=request
            )
            messages.success(request, "Saved.")
        return redirect("sessions:feed_settings")
    feed = services.feed_of(request.user)
    token = request.session.pop(_NEW_FEED_TOKEN, None)
    context = {
        "form": form,
        "feed": feed,
        "feed_url": request.build_absolute_uri(services.feed_path(token))
        if token
        else "",
        "title_choices": feed.Title.choices,
    }
    return render(
        request,
        "scheduling/feed_settings.html",
        context,
        status=400 if form.errors else 200,
    )


@login_not_required
@never_cache
@require_GET
def calendar_feed(request, token: str) -> HttpResponse:
    """The feed a calendar app subscribes to: no sign-in, the token is the key. Unknown and
    revoked tokens get the same 404."""
    if over_rate_limit(
        request,
        "calendar_feed",
        limit=services.FEED_REQUESTS_PER_MINUTE,
        seconds=60,
    ):
        return HttpResponse("Too many requests.", status=429, content_type="text/plain")
    feed = services.feed_for_token(token)
    if feed is None:
        raise Http404
    body = services.feed_text(feed, request=request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response["Referrer-Policy"] = "no-referrer"
    return response
