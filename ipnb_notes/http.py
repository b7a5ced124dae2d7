"""Request types, the partial-rendering decision and the project's own middlewares."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.functional import empty
from django_htmx.http import HttpResponseClientRedirect

from ipnb_notes import batch

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
    request_id: str


def wants_partial(request: HttpRequest) -> bool:
    """True for htmx requests that swap a fragment (not boosted navigation, not history)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. X-Forwarded-For is read only when TRUSTED_PROXY_COUNT proxies are
    configured, and then only the entry the outermost trusted proxy appended: anything to its
    left was written by the client and can be forged."""
    from django.conf import settings

    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR") or None


def over_rate_limit(
    request: HttpRequest, scope: str, *, limit: int, seconds: int
) -> bool:
    """Count this request against `limit` requests per `seconds` for its client address
    (client_ip) and `scope`, in fixed windows kept in the shared cache; True once over."""
    import time

    from django.core.cache import cache

    window = int(time.time()) // seconds
    key = f"ipnb:rate:{scope}:{client_ip(request) or '-'}:{window}"
    if cache.add(key, 1, timeout=seconds + 5):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # the window's counter expired between add() and incr()
        cache.add(key, 1, timeout=seconds + 5)
        return False


class CarriedWritesMiddleware:
    """Lets a request's audit events ride with its page's reads (ipnb_notes.batch.carry):
    whatever is still queued when the view returns is sent before the response leaves, and
    an error sending it answers 500 instead of the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with batch.carrying():
            return self.get_response(request)


class RequestIdMiddleware:
    """Give every request an id, echoed in X-Request-ID and written into audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


BACKGROUND_HEADER = "X-IPNB-Background"


def is_background(request: HttpRequest) -> bool:
    """Autosave and polling requests carry X-IPNB-Background: they never count as activity, and
    when the login has expired they get a 401 (the page keeps its text) instead of a redirect."""
    return bool(request.headers.get(BACKGROUND_HEADER))


class HtmxAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Send anonymous htmx requests to login with HX-Redirect, never a login page in a fragment.
    A view that runs gets the signed-in user itself in `request.user`, not its lazy wrapper."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        response = super().process_view(request, view_func, view_args, view_kwargs)
        # Loaded by now (the check above read it): the user replaces its SimpleLazyObject,
        # as auth.login() does, for the view and the templates. Every attribute read through
        # the wrapper is a proxy call, and a page reads its user a few hundred times.
        wrapped = getattr(request.user, "_wrapped", None)
        if wrapped is not None and wrapped is not empty:
            request.user = wrapped
        return response

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if is_background(request):
            from django.http import JsonResponse

            # The editor keeps its content, asks the user to sign in again, then retries.
            return JsonResponse(
                {"error": "login_required", "login_url": response["Location"]},
                status=401,
            )
        if (
            getattr(request, "htmx", None)
            or request.headers.get("HX-Request") == "true"
        ):
            current = request.headers.get("HX-Current-URL")
            login = response["Location"]
            if current:
                from urllib.parse import quote, urlsplit

                parts = urlsplit(current)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                login = login.split("?")[0] + "?next=" + quote(path)
            return HttpResponseClientRedirect(login)
        return response


class PrivateResponseMiddleware:
    """No caching of anything an authenticated user sees; Vary on HX-Request everywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, private"
        return response


def add_content_digest(response: HttpResponse, content: bytes) -> HttpResponse:
    """CRY-03: the SHA-256 of an exported document, as a plain hex header and as RFC 9530's
    Repr-Digest, so whoever receives the file can check it arrived unaltered."""
    import base64
    import hashlib

    digest = hashlib.sha256(content).digest()
    response["X-Content-SHA256"] = digest.hex()
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(digest).decode()}:"
    return response
