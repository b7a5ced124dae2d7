"""Practice-admin screens for accounts, and the invitation a new user accepts."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import mfa, queries, services
from accounts.forms import (
    DeactivateForm,
    InviteForm,
    RoleForm,
    SetPasswordForm,
    SupervisionForm,
)
from accounts.models import Supervision, User
from ipnb_notes import access, listsearch, practice
from ipnb_notes.http import AuthedRequest, wants_partial
from ipnb_notes.sudo import require_recent_authentication, sudo_mode

_ROLE_LABELS = dict(User.Role.choices)


@require_http_methods(["GET", "POST"])
def user_list(request: AuthedRequest) -> HttpResponse:
    access.require_admin(request.user)
    params, q = listsearch.search_params(request)  # names are searched by POST only
    role = params.get("role", "")
    if role not in User.Role.values:
        role = ""
    status = params.get("status", "")
    if status not in ("active", "inactive"):
        status = ""
    second_factor = params.get("second_factor", "")
    if second_factor not in mfa.SecondFactorStatus.values:
        second_factor = ""
    sort = params.get("sort", "name")
    # The page's rows (plain values, with their supervisors and second factors) and the
    # count of every match: one statement.
    page = queries.user_list_page(
        request.user,
        q,
        role=role,
        status=status,
        second_factor=second_factor,
        sort=sort if sort in queries.USER_SORTS else "name",
        number=params.get("page"),
    )
    template = "accounts/user_list.html"
    if wants_partial(request):
        template += "#user-rows"
    filters = listsearch.filter_query(
        role=role,
        status=status,
        second_factor=second_factor,
        sort=sort if sort in queries.USER_SORTS else "",
    )
    context = {
        "page": page,
        "q": q,
        "role": role,
        "status": status,
        "sort": sort,
        "roles": User.Role.choices,
        "role_labels": _ROLE_LABELS,
        "second_factor": second_factor,
        "second_factor_choices": mfa.SecondFactorStatus.choices,
        "filter_query": filters,
        "search_form": "user-search",
    }
    return listsearch.push_filters_url(
        request, render(request, template, context), filters
    )


@sudo_mode
@require_http_methods(["GET", "POST"])
def user_invite(request: AuthedRequest) -> HttpResponse:
    access.require_admin(request.user)
    require_recent_authentication(request)  # an invitation can make a practice admin
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_invite(
                **form.cleaned_data, by=request.user, request=request
            )
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Invitation sent to {user.email}. The link expires in "
                f"{settings.INVITATION_TTL_HOURS} hours.",
            )
            return redirect(user)
    return render(
        request,
        "accounts/user_invite.html",
        {"form": form, "ttl_hours": settings.INVITATION_TTL_HOURS},
    )


@sudo_mode
@require_GET
def user_detail(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    # Its forms change role, supervision and second factor: shown only in sudo mode.
    require_recent_authentication(request)
    return _render_detail(request, user)


def _render_detail(
    request, user, *, role_form=None, supervision_form=None, status=200
) -> HttpResponse:
    caseload = queries.open_caseload(user)
    links = Supervision.objects.filter(
        Q(supervisee=user) | Q(supervisor=user)
    ).select_related("supervisor", "supervisee")
    context = {
        "managed": user,
        "role_form": role_form or RoleForm(initial={"role": user.role}),
        "supervision_form": supervision_form
        or SupervisionForm(
            supervisor_choices=access.supervisor_choices(request.user), supervisee=user
        ),
        "supervisors": [link for link in links if link.supervisee_id == user.id],
        "supervisees": [link for link in links if link.supervisor_id == user.id],
        "invitation": user.invitations.first(),
        "second_factor": mfa.second_factor_summary(user),
        "caseload": caseload,
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@sudo_mode
@require_POST
def user_change_role(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    require_recent_authentication(request)  # a role changes what one may read
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.user_change_role(
                user=user,
                role=form.cleaned_data["role"],
                by=request.user,
                request=request,
            )
        except services.AccountError as exc:
            form.add_error("role", str(exc))
        else:
            messages.success(
                request, f"{user} is now a {user.get_role_display().lower()}."
            )
            return redirect(user)
    return _render_detail(request, user, role_form=form, status=400)


@sudo_mode
@require_POST
def supervision_create(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    require_recent_authentication(request)  # a supervisor reads the supervisee's notes
    form = SupervisionForm(
        request.POST,
        supervisor_choices=access.supervisor_choices(request.user),
        supervisee=user,
    )
    if form.is_valid():
        try:
            services.supervision_link(
                supervisee=user, by=request.user, request=request, **form.cleaned_data
            )
        except services.AccountError as exc:
            form.add_error("supervisor", str(exc))
        else:
            messages.success(
                request, f"{form.cleaned_data['supervisor']} now supervises {user}."
            )
            return redirect(user)
    return _render_detail(request, user, supervision_form=form, status=400)


@require_POST
def supervision_end(request: AuthedRequest, code: UUID) -> HttpResponse:
    link = access.get_managed_supervision(request.user, code)
    try:
        link = services.supervision_end(link=link, by=request.user, request=request)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        # A link that had not started yet is deleted (it never gave access), not ended.
        verb = "Ended" if link.pk else "Removed before it started"
        messages.success(request, f"{verb}: {link}.")
    return redirect(link.supervisee)


@require_http_methods(["GET", "POST"])
def user_deactivate(request: AuthedRequest, code: UUID) -> HttpResponse:
    """Confirm and deactivate an account. A clinician who still has clients in care is shown
    how many, and offered the caseload transfer first; deactivating anyway is an explicit
    choice (docs/DECISIONS.md)."""
    user = access.get_managed_user(request.user, code)
    caseload = queries.open_caseload(user)
    form = DeactivateForm(
        request.POST if request.method == "POST" else None, caseload=caseload
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_deactivate(user=user, by=request.user, request=request)
        except services.AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"{user} is deactivated and signed out everywhere."
            )
            if caseload.total:
                messages.warning(
                    request,
                    f"{caseload.total} client(s) in care still have {user} as their "
                    "therapist: transfer the caseload.",
                )
        return redirect(user)
    return render(
        request,
        "accounts/user_deactivate.html",
        {"managed": user, "caseload": caseload, "form": form},
        status=400 if form.errors else 200,
    )


@sudo_mode
@require_POST
def user_reactivate(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    require_recent_authentication(request)  # gives an account its access back
    services.user_reactivate(user=user, by=request.user, request=request)
    messages.success(request, f"{user} can sign in again.")
    return redirect(user)


@require_POST
def user_end_sessions(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    ended = services.user_end_sessions(user=user, by=request.user, request=request)
    messages.success(request, f"Ended {ended} session(s) of {user}.")
    return redirect(user)


@sudo_mode
@require_POST
def invitation_resend(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    require_recent_authentication(request)  # a new link that sets the password
    try:
        services.invitation_resend(user=user, by=request.user, request=request)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new invitation was sent to {user.email}.")
    return redirect(user)


# The emailed link carries the token in its path once: that first request keeps it in the
# session and continues at /invitation/set-password/, so the token is not in the address bar,
# the history, the Referer or the access log of the requests that follow (allauth does the
# same with password-reset keys). The log filters also hide the first path's token.
INVITATION_SESSION_KEY = "_invitation_token"
INVITATION_PLACEHOLDER = "set-password"


@login_not_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token: str) -> HttpResponse:
    if token != INVITATION_PLACEHOLDER:
        if services.invitation_for_token(token) is None:
            return render(request, "accounts/invitation_invalid.html", status=404)
        request.session[INVITATION_SESSION_KEY] = token
        return redirect("accept_invitation", token=INVITATION_PLACEHOLDER)
    token = request.session.get(INVITATION_SESSION_KEY, "")
    invitation = services.invitation_for_token(token) if token else None
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None, user=invitation.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                request=request,
            )
        except services.AccountError:
            return render(request, "accounts/invitation_invalid.html", status=404)
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(request, "Your password is set. Please sign in.")
        return redirect("account_login")
    return render(
        request,
        "accounts/accept_invitation.html",
        {"form": form, "invited": invitation.user},
    )


@sudo_mode
def email(request: AuthedRequest) -> HttpResponse:
    """allauth's email page (add, remove, make primary) in sudo mode from its first GET, so a
    POST without a recent authentication is refused instead of kept in the session."""
    from allauth.account.views import email as allauth_email

    require_recent_authentication(request)
    return allauth_email(request)


@sudo_mode
@require_http_methods(["GET", "POST"])
def practice_settings(request: AuthedRequest) -> HttpResponse:
    """The practice's settings: when a progress note counts as late."""
    access.require_admin(request.user)
    require_recent_authentication(request)  # changes what every dashboard calls late
    row = practice.current()
    form = practice.NoteTimelinessForm(
        request.POST or None, initial={"note_late_hours": row.note_late_hours}
    )
    if request.method == "POST":
        if form.is_valid():
            practice.set_note_late_hours(
                form.cleaned_data["note_late_hours"], by=request.user, request=request
            )
            messages.success(
                request,
                "Saved. The dashboards are being recomputed with the new threshold.",
            )
            return redirect("accounts:practice_settings")
        status = 400
    else:
        status = 200
    return render(
        request,
        "accounts/practice_settings.html",
        {"form": form, "settings_row": row},
        status=status,
    )
