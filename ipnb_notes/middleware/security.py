"""The project's security middlewares: session lifetime (idle and absolute) and the renewal of
the session id after re-authentication, the mandatory second factor, the audit of refused
access, the refusal of NUL characters; and the error-report filter that keeps typed text out
of error mails and logs."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter
from django_htmx.http import HttpResponseClientRedirect

from ipnb_notes.http import is_background

# Session keys written at sign-in (audit.signals) and maintained here.
AUTH_AT = "ipnb.auth_at"
SEEN_AT = "ipnb.seen_at"
MFA_ENROLLED = "ipnb.mfa_enrolled"

# The stored activity time is refreshed at most this often, so that ordinary requests do
# not write the session row each time. The timer therefore runs out up to this many seconds
# early, never late.
SEEN_RESOLUTION_SECONDS = 30

# Sent when a login ends: the browser drops its HTTP cache, cookies and any storage of this
# origin, so nothing of a clinical page stays on the device (WEB-06, ONC (d)(7)).
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", None)) or (
        request.headers.get("HX-Request") == "true"
    )


def _login_url(request: HttpRequest) -> str:
    from urllib.parse import quote

    path = request.get_full_path()
    if _is_htmx(request):
        from urllib.parse import urlsplit

        current = request.headers.get("HX-Current-URL")
        if current:
            parts = urlsplit(current)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse(settings.LOGIN_URL) + "?next=" + quote(path)


def signed_out_response(request: HttpRequest, reason: str) -> HttpResponse:
    """What a request gets when its login has just ended: pages go to sign-in, htmx swaps get
    HX-Redirect (never a login page inside a fragment), background saves get a 401 so the
    editor keeps its text and retries after the user signs in again."""
    login_url = _login_url(request)
    if is_background(request):
        response = JsonResponse(
            {"error": "login_required", "reason": reason, "login_url": login_url},
            status=401,
        )
    elif _is_htmx(request):
        response = HttpResponseClientRedirect(login_url)
    else:
        response = redirect(login_url)
    if not is_background(request):
        # Not on the editor's background save: its page is still open and keeps the text.
        response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


class SessionLifetimeMiddleware:
    """Idle timeout (IDLE_TIMEOUT_SECONDS, 15 minutes by default) and absolute lifetime
    (SESSION_ABSOLUTE_SECONDS, 12 hours). Background requests (autosave, polling) never
    extend idleness, but once the session is idle they are refused like any other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            auth_at = session.get(AUTH_AT)
            seen_at = session.get(SEEN_AT)
            if auth_at is None or seen_at is None:
                # A session from before these keys existed: start its clocks now.
                session[AUTH_AT] = auth_at = now
                session[SEEN_AT] = seen_at = now
            reason = None
            if now - seen_at > settings.IDLE_TIMEOUT_SECONDS:
                reason = "idle"
            elif now - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
                reason = "absolute"
            if reason:
                _record_timeout(request, user, reason)
                logout(request)
                return signed_out_response(request, reason)
            if not is_background(request) and now - seen_at >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT] = now
        response = self.get_response(request)
        _cycle_key_after_reauthentication(request)
        match = request.resolver_match
        if (
            request.method == "POST"
            and match is not None
            and match.view_name == "account_logout"
        ):
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response


# The time of the last re-authentication for which the session key was renewed.
REAUTH_CYCLED_AT = "ipnb.reauth_cycled_at"


def _cycle_key_after_reauthentication(request: HttpRequest) -> None:
    """A new session id after re-authentication (ASVS 7.2.4), as Django's login() gives one
    at sign-in: allauth records the re-authentication in the session but keeps its key."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated:
        return
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    records = session.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    last = next((r for r in reversed(records) if r.get("reauthenticated")), None)
    if last is None or session.get(REAUTH_CYCLED_AT) == last.get("at"):
        return
    session.cycle_key()
    session[REAUTH_CYCLED_AT] = last.get("at")


def _record_timeout(request: HttpRequest, user, reason: str) -> None:
    import audit

    audit.record(
        "auth.session_timeout",
        actor=user,
        request=request,
        target=user,
        changes={"reason": reason},
    )


# Views a signed-in user without a second factor may still reach: enrolment itself,
# re-authentication (allauth asks for it before enrolment), sign-out and the health probe.
MFA_ENROLMENT_ALLOWED = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_reauthenticate",
    "account_reauthenticate",
    "account_logout",
    "account_login",
    "healthz",
    "csp_report",
}


def user_has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return (
        Authenticator.objects.filter(user_id=user.pk)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )


class RequireMFAMiddleware:
    """Every role needs a second factor: until one is enrolled, every page except enrolment,
    sign-out, static files and the health probe sends the user to enrolment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        enrolled = request.session.get(MFA_ENROLLED)
        if not enrolled:
            # Not cached yet (or not enrolled): ask the database, and remember a yes.
            enrolled = user_has_mfa(user)
            if enrolled:
                request.session[MFA_ENROLLED] = True
        if enrolled:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in MFA_ENROLMENT_ALLOWED:
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        target = reverse("mfa_index")
        if is_background(request):
            return JsonResponse(
                {"error": "mfa_enrolment_required", "enrol_url": target}, status=401
            )
        if _is_htmx(request):
            return HttpResponseClientRedirect(target)
        return redirect(target)


class DeniedAccessAuditMiddleware:
    """A signed-in user refused a page (403) or sent away from a record that is not theirs
    (404) leaves an `access.denied` event: probing for other people's records shows up in
    the audit report (AUD-08, AUTHZ-02). Codes and view names only, never page content."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (403, 404):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                self._record(request, user, response.status_code)
        return response

    def _record(self, request: HttpRequest, user, status: int) -> None:
        import audit

        match = request.resolver_match
        code = ""
        if match is not None:
            code = str(match.kwargs.get("code", ""))[:64]
        audit.record(
            "access.denied",
            actor=user,
            request=request,
            target_code=code,
            changes={
                "status": status,
                "method": request.method,
                "view": match.view_name if match is not None else "",
            },
        )


class RejectNulMiddleware:
    """A NUL character in a query string or form field answers 400 at once. PostgreSQL text
    cannot hold one, so letting it reach a filter or a save would end in a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.http import HttpResponseBadRequest

        sources = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(request.POST)
        for data in sources:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return HttpResponseBadRequest(
                        "The request contained a character that is not allowed."
                    )
        return self.get_response(request)


class NoRequestBodyReporterFilter(SafeExceptionReporterFilter):
    """Error reports (mails to ADMINS, the log) never carry what was typed into a form: a
    note's text must not leave the database through a crash (AUD-09). Every POST value is
    replaced, in every view, without each view having to say so."""

    def is_active(self, request) -> bool:
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)


class UnreadableCiphertextMiddleware:
    """A stored token that does not decrypt in its place (moved from another row, tampered
    with, or under a retired key) stops the request with a plain page that says so, instead
    of a server error, and leaves an `integrity.unreadable_ciphertext` event naming the place
    (table, column, row; never content). A second factor that cannot be read refuses the
    sign-in: the practice admin resets it (accounts.services.mfa_reset)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        from django.shortcuts import render

        import audit
        from accounts.mfa import MFASecretError
        from ipnb_notes.lib.crypto import KeyRingError

        if not isinstance(exception, KeyRingError):
            return None
        second_factor = isinstance(exception, MFASecretError)
        user = getattr(request, "user", None)
        audit.record(
            "integrity.unreadable_ciphertext",
            actor=user if user is not None and user.is_authenticated else None,
            request=request,
            target_type="second_factor" if second_factor else "record",
            changes={"place": str(exception)[:300]},
        )
        return render(
            request,
            "unreadable.html",
            {"second_factor": second_factor},
            status=403 if second_factor else 500,
        )
