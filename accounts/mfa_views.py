"""The practice admin's reset of a user's lost second factor."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts import services
from accounts.services import AccountError
from ipnb_notes import access
from ipnb_notes.http import AuthedRequest
from ipnb_notes.sudo import require_recent_authentication, sudo_mode


@sudo_mode
@require_POST
def user_mfa_reset(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    require_recent_authentication(request)
    try:
        removed = services.mfa_reset(user=user, by=request.user, request=request)
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Removed {removed} second factor(s) of {user}; they are signed out and "
            "will set up a new one at their next sign-in.",
        )
    return redirect(user)


@sudo_mode
@require_POST
def user_break_glass(request: AuthedRequest, code: UUID) -> HttpResponse:
    user = access.get_managed_user(request.user, code)
    require_recent_authentication(request)
    allowed = request.POST.get("can_break_glass") == "on"
    try:
        services.break_glass_designate(
            user=user, allowed=allowed, by=request.user, request=request
        )
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{user} {'may now' if allowed else 'may no longer'} use emergency access.",
        )
    return redirect(user)
