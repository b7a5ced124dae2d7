"""Sudo mode: the password (or a second factor) entered again within
ACCOUNT_REAUTHENTICATION_TIMEOUT before privilege is granted or records leave the app.

Every view in sudo mode is wrapped in `sudo_mode` and calls `require_recent_authentication`
right after its access line, so that someone who may not use the view gets its 404/403, not a
password prompt. The page that shows the form is itself in sudo mode, so the form is only ever
filled in after a recent authentication.

Why not allauth's `reauthentication_required`: when a POST arrives without a recent
authentication, allauth keeps the request's body in the session to replay it afterwards. That
body can be a release's recipient, an emergency-access reason or a new email address. Here a
POST without recent authentication is refused (sent to re-authenticate, nothing stored, nothing
changed), and the user fills the form in again.
"""

from __future__ import annotations

import time
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse


class SudoRequired(PermissionDenied):
    """Raised when the last authentication is too old. `sudo_mode` turns it into a redirect to
    re-authentication; without the decorator it is still a plain 403, never a stored body."""


def is_recently_authenticated(request: HttpRequest) -> bool:
    """True when the user re-entered their password or second factor (allauth's
    re-authentication, which it records in the session) within the timeout.

    allauth's own check also lets through an account with no way to re-authenticate (no
    password, no second factor); here such an account never gets sudo mode."""
    from allauth.account.internal.flows.login import get_authentication_records

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    times = [r.get("at") for r in records if r.get("reauthenticated")]
    if not times or not isinstance(times[-1], int | float):
        return False
    return time.time() - times[-1] < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def require_recent_authentication(request: HttpRequest) -> None:
    """Call right after the view's access line, in a view wrapped in `sudo_mode`."""
    if not is_recently_authenticated(request):
        raise SudoRequired("Confirm your password first.")


def reauthentication_url(request: HttpRequest, next_path: str) -> str:
    """allauth's first re-authentication method for this user (password, else second factor),
    coming back to next_path afterwards."""
    from allauth.account.adapter import get_adapter

    methods = get_adapter().get_reauthentication_methods(request.user)
    url = methods[0]["url"] if methods else reverse("account_login")
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_path})}"


def _come_back_to(request: HttpRequest) -> str:
    """Where to land after re-authenticating: the page itself for a GET; for a POST the page
    the form was on (same-site Referer), since the POST itself is not replayed."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.path


def sudo_mode(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn SudoRequired into a redirect to re-authentication, keeping no part of the request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SudoRequired:
            pass
        url = reauthentication_url(request, _come_back_to(request))
        if request.method not in ("GET", "HEAD"):
            messages.warning(
                request,
                "Nothing was changed: please confirm your password, then fill in the form again.",
            )
        if getattr(request, "htmx", None):
            from django_htmx.http import HttpResponseClientRedirect

            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

    wrapper.sudo_mode = True  # type: ignore[attr-defined]
    return wrapper
