"""Outcome measures: completion with the clinician, links for the client, risk alerts."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from ipnb_notes import access, csvexport
from ipnb_notes.http import AuthedRequest, over_rate_limit
from ipnb_notes.sudo import require_recent_authentication, sudo_mode
from measures import export, instruments, practice_instruments, scheduling, services
from measures.forms import (
    AcknowledgeForm,
    AnswersForm,
    CheckInEmailForm,
    CheckInForm,
    LinkForm,
    PolicyForm,
    PracticeInstrumentForm,
    ScheduleForm,
)
from measures.models import MeasuresPolicy, spec_for

# The schedule form's widgets, rendered by Django's Jinja2 form renderer: the same markup from
# Django's own widget templates (django/forms/jinja2/, autoescaped), compiled once, without a
# Django template render per widget. It holds compiled templates only, never a user's data.
_WIDGETS = Jinja2FormRenderer()

# Requests a minute one address may make to the public questionnaire pages; more answer 429.
LINK_REQUESTS_PER_MINUTE = 20
# The token leaves the URL at the first request (URLs land in logs) and waits in the session.
LINK_PLACEHOLDER = "questionnaire"


@require_http_methods(["GET", "POST"])
def administer(request: AuthedRequest, code: UUID, instrument: str) -> HttpResponse:
    """The clinician completes a questionnaire with the client in session."""
    client = access.get_client(request.user, code, for_update=True)
    return _administer(request, client, instruments.get(instrument))


@require_http_methods(["GET", "POST"])
def administer_practice(
    request: AuthedRequest, code: UUID, instrument: UUID
) -> HttpResponse:
    """The clinician completes an instrument the practice defined, with the client."""
    client = access.get_client(request.user, code, for_update=True)
    defined = access.get_practice_instrument(request.user, instrument, for_use=True)
    return _administer(request, client, defined.spec)


@require_GET
def practice_choose(request: AuthedRequest, code: UUID) -> HttpResponse:
    """The instruments the practice defined, to complete one with the client."""
    client = access.get_client(request.user, code, for_update=True)
    audit.read(request, "measure.practice_choose_view", client=client)
    return render(
        request,
        "measures/practice_choose.html",
        {
            "client": client,
            "defined": practice_instruments.in_use(),
            "status": instruments.PRACTICE_STATUS,
        },
    )


def _administer(request, client, spec) -> HttpResponse:
    form = AnswersForm(
        request.POST if request.method == "POST" else None, instrument=spec
    )
    if request.method == "POST" and form.is_valid():
        done = services.administration_record(
            client=client,
            instrument=spec,
            answers=form.answers(),
            by=request.user,
            request=request,
        )
        messages.success(request, f"{spec.name} saved.")
        return redirect(done)
    if request.method == "GET":  # the form names the client: a read
        audit.read(
            request,
            "measure.administer_view",
            client=client,
            changes={"instrument": spec.code},
        )
    return render(
        request,
        "measures/administer.html",
        {"client": client, "spec": spec, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
def administration_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    admin = access.get_administration(request.user, code)
    return _score_detail(request, admin)


@require_GET
def practice_score_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    """A completed instrument the practice defined (kept apart from the standardised)."""
    return _score_detail(request, access.get_practice_score(request.user, code))


def _score_detail(request, admin) -> HttpResponse:
    answers = admin.responses.get("answers", [])
    labels = dict(admin.spec.options)
    rows = [
        (n, text, answers[n - 1] if n <= len(answers) else None)
        for n, text in enumerate(admin.spec.items, start=1)
    ]
    audit.read(request, "measure.view", client=admin.client, target=admin)
    return render(
        request,
        "measures/administration_detail.html",
        {
            "admin": admin,
            "client": admin.client,
            "rows": [(n, text, v, labels.get(v, "")) for n, text, v in rows],
            "alert": getattr(admin, "risk_alert", None) if admin.risk_flag else None,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def link_create(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Create a one-time link; the response shows it once, to copy (it is stored hashed)."""
    client = access.get_client(request.user, code, for_update=True)
    form = LinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        spec = spec_for(form.cleaned_data["instrument"])
        link, token = services.link_create(
            client=client,
            instrument=spec,
            by=request.user,
            email=form.cleaned_data["email"],
            request=request,
        )
        return render(
            request,
            "measures/link_created.html",
            {
                "client": client,
                "link": link,
                "url": services.link_url(token),
                "emailed": bool(form.cleaned_data["email"]),
            },
        )
    if request.method == "GET":
        audit.read(request, "measure_link.create_view", client=client)
    return render(
        request,
        "measures/link_form.html",
        {"client": client, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def link_revoke(request: AuthedRequest, code: UUID) -> HttpResponse:
    link = access.get_measure_link(request.user, code, for_update=True)
    services.link_revoke(link=link, by=request.user, request=request)
    messages.success(request, "The link is revoked: it can no longer be opened.")
    return redirect(link)


@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Close a risk alert with what was done (required). Readers see it without the form."""
    alert = access.get_risk_alert(request.user, code)
    can_act = access.can_edit_client(request.user, alert.client)
    if request.method == "POST":
        access.require_post_allowed(can_act)
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and alert.is_open and form.is_valid():
        services.risk_alert_acknowledge(
            alert=alert,
            by=request.user,
            action_taken=form.cleaned_data["action_taken"],
            request=request,
        )
        messages.success(request, "Risk alert acknowledged.")
        return redirect(alert.client)
    if request.method == "GET":
        audit.read(request, "risk_alert.view", client=alert.client, target=alert)
    return render(
        request,
        "measures/alert_acknowledge.html",
        {
            "alert": alert,
            "client": alert.client,
            "admin": alert.administration,
            "form": form,
            "can_act": can_act,
        },
        status=400 if form.errors else 200,
    )


# --- The post-session check-in -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def checkin_link_create(request: AuthedRequest, code: UUID) -> HttpResponse:
    """A one-time link through which the client answers the check-in about this session."""
    session = access.get_session(request.user, code, for_update=True)
    client = session.client
    form = CheckInEmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        link, token = services.link_create(
            client=client,
            instrument=instruments.CHECKIN_CLIENT,
            by=request.user,
            email=form.cleaned_data["email"],
            session=session,
            request=request,
        )
        return render(
            request,
            "measures/link_created.html",
            {
                "client": client,
                "link": link,
                "url": services.link_url(token),
                "emailed": bool(form.cleaned_data["email"]),
                "back": session.get_absolute_url(),
            },
        )
    if request.method == "GET":
        audit.read(request, "checkin_link.create_view", client=client, target=session)
    return render(
        request,
        "measures/checkin_link_form.html",
        {"client": client, "session": session, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def checkin_mirror(request: AuthedRequest, code: UUID) -> HttpResponse:
    """The therapist answers the mirror of the client's check-in for this session."""
    session = access.get_session(request.user, code, for_update=True)
    spec = instruments.CHECKIN_THERAPIST
    form = CheckInForm(request.POST if request.method == "POST" else None, checkin=spec)
    if request.method == "POST" and form.is_valid():
        services.checkin_record(
            session=session,
            checkin=spec,
            responses=form.responses(),
            by=request.user,
            request=request,
        )
        messages.success(request, "Your check-in is saved.")
        return redirect(session)
    if request.method == "GET":
        audit.read(
            request, "checkin.mirror_view", client=session.client, target=session
        )
    return render(
        request,
        "measures/checkin_form.html",
        {"client": session.client, "session": session, "spec": spec, "form": form},
        status=400 if form.errors else 200,
    )


# --- Schedules, scheduled links, the CSV and the practice's settings ----------------------------


@require_http_methods(["GET", "POST"])
def schedule(request: AuthedRequest, code: UUID) -> HttpResponse:
    """The client's schedule of measures, and the links it has made (to copy when waiting)."""
    client = access.get_client(request.user, code, for_update=True)
    page = scheduling.schedule_page(client)  # one round trip
    form = ScheduleForm(
        request.POST if request.method == "POST" else None,
        initial={f"every_{c}": every for c, every in page["every"].items()},
        schedulable=page["schedulable"],
        renderer=_WIDGETS,
    )
    if request.method == "POST" and form.is_valid():
        changed = scheduling.schedule_set(
            client=client, by=request.user, every=form.every(), request=request
        )
        messages.success(
            request,
            "Schedule saved. Links for the sessions now due are being made."
            if changed
            else "Nothing changed.",
        )
        return redirect("measures:schedule", code=client.code)
    if request.method == "GET":
        audit.read(request, "measure_schedule.view", client=client)
    return render(
        request,
        "measures/schedule.html",
        {
            "client": client,
            "form": form,
            "links": page["links"],
            "email_allowed": page["policy"].email_scheduled_links,
            "lead_days": scheduling.QUESTIONNAIRE_LEAD.days,
            "checkin_days": scheduling.CHECKIN_WINDOW.days,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@require_POST
def link_copy(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Show a scheduled link's address once, to copy; erased as it is shown."""
    link = access.get_measure_link(request.user, code, for_update=True)
    token = scheduling.link_reveal(link=link, by=request.user, request=request)
    if token is None:
        messages.error(
            request,
            "This link cannot be shown: it was shown or emailed already, or it is no "
            "longer open. Create a new one if the client needs it.",
        )
        return redirect("measures:schedule", code=link.client.code)
    return render(
        request,
        "measures/link_created.html",
        {
            "client": link.client,
            "link": link,
            "url": services.link_url(token),
            "emailed": False,
            "back": reverse("measures:schedule", args=[link.client.code]),
        },
    )


@require_GET
def measures_csv(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Every questionnaire and check-in of the client, as CSV."""
    client = access.get_client(request.user, code)
    audit.read(request, "measure.export", client=client)
    return csvexport.response(
        f"measures-{client.code}.csv", export.HEADER, export.rows(client)
    )


@sudo_mode
@require_http_methods(["GET", "POST"])
def practice_measures(request: AuthedRequest) -> HttpResponse:
    """The practice's measure settings: whether scheduled links are emailed."""
    access.require_admin(request.user)
    require_recent_authentication(request)  # changes what reaches clients' inboxes
    row = MeasuresPolicy.current()
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=row)
    if request.method == "POST" and form.is_valid():
        scheduling.policy_set(
            email_scheduled_links=form.cleaned_data["email_scheduled_links"],
            by=request.user,
            request=request,
        )
        messages.success(request, "Saved.")
        return redirect("measures:practice_measures")
    return render(
        request,
        "measures/practice_measures.html",
        {
            "form": form,
            "policy": row,
            "defined": practice_instruments.every_one(),
            "status": instruments.PRACTICE_STATUS,
            "no_change": instruments.PRACTICE_NO_CHANGE,
        },
        status=400 if form.errors else 200,
    )


@sudo_mode
@require_http_methods(["GET", "POST"])
def practice_instrument_create(request: AuthedRequest) -> HttpResponse:
    """A practice admin defines a short instrument (it changes what clinicians see)."""
    access.require_admin(request.user)
    require_recent_authentication(request)
    form = PracticeInstrumentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        practice_instruments.define(
            name=data["name"],
            question=data["question"],
            items=data["items"],
            scale=data["scale"],
            bands=data["bands"],
            by=request.user,
            request=request,
        )
        messages.success(request, f"{data['name']} is defined and in use.")
        return redirect("measures:practice_measures")
    return render(
        request,
        "measures/practice_instrument_form.html",
        {"form": form, "status": instruments.PRACTICE_STATUS},
        status=400 if form.errors else 200,
    )


@sudo_mode
@require_POST
def practice_instrument_active(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Retire an instrument the practice defined, or bring it back into use."""
    defined = access.get_practice_instrument(request.user, code)
    require_recent_authentication(request)
    active = request.POST.get("active") == "1"
    practice_instruments.set_active(
        instrument=defined, active=active, by=request.user, request=request
    )
    messages.success(
        request,
        f"{defined.name} is in use again." if active else f"{defined.name} is retired.",
    )
    return redirect("measures:practice_measures")


# --- The client's side: no account, a one-time link ----------------------------------------------


def _invalid(request) -> HttpResponse:
    request.session.pop(services.SESSION_KEY, None)
    return render(request, "measures/link_invalid.html", status=404)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def link_open(request, token: str) -> HttpResponse:
    """The page a client opens from the link. Used, expired, revoked and unknown links all
    get the same neutral page. Nothing identifies the client beyond their first name."""
    if over_rate_limit(
        request, "measure_link", limit=LINK_REQUESTS_PER_MINUTE, seconds=60
    ):
        return render(request, "measures/link_busy.html", status=429)
    if token != LINK_PLACEHOLDER:
        if request.method != "GET" or services.link_for_token(token) is None:
            return _invalid(request)
        request.session[services.SESSION_KEY] = token
        return redirect("measure_link_open", token=LINK_PLACEHOLDER)
    link = services.link_for_token(request.session.get(services.SESSION_KEY, ""))
    if link is None:
        return _invalid(request)
    data = request.POST if request.method == "POST" else None
    if link.is_checkin:
        form = CheckInForm(data, checkin=link.spec)
    else:
        form = AnswersForm(data, instrument=link.spec)
    if request.method == "POST" and form.is_valid():
        try:
            if link.is_checkin:
                services.checkin_complete(
                    link=link, responses=form.responses(), request=request
                )
            else:
                services.link_complete(
                    link=link, answers=form.answers(), request=request
                )
        except services.LinkNotUsable:
            return _invalid(request)
        request.session.pop(services.SESSION_KEY, None)
        return redirect("measure_link_thanks")
    client = link.client
    first_name = client.preferred_name or client.legal_name.split()[0]
    return render(
        request,
        "measures/link_checkin.html"
        if link.is_checkin
        else "measures/link_questionnaire.html",
        {
            "spec": link.spec,
            "form": form,
            "first_name": first_name,
            "practice": settings.PRACTICE_NAME,
        },
        status=400 if form.errors else 200,
    )


@login_not_required
@never_cache
@require_GET
def link_thanks(request) -> HttpResponse:
    return render(
        request, "measures/link_thanks.html", {"practice": settings.PRACTICE_NAME}
    )
