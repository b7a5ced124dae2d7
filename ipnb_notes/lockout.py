"""Login lockout (django-axes) wired for a project whose only sign-in form is allauth's."""

from __future__ import annotations

from datetime import timedelta

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, except that a call with no request (the test client's `login()`,
    a shell) is let through to the next backend instead of raising: lockout is about sign-in
    attempts over HTTP, and every HTTP sign-in passes a request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def username_of(request, credentials) -> str | None:
    """The sign-in name as allauth passes it (`email`), lower-cased like the stored address,
    so that one account's attempts count together whatever their case."""
    name = None
    if credentials:
        name = credentials.get("email") or credentials.get("username")
    if not name and request is not None:
        data = getattr(request, "POST", None) or {}
        name = data.get("login")
    return name.strip().lower() if name else None


# Tiered lockout (ASVS 6.3.1): the more failures one username and address have piled up in
# the last day, the longer each lockout lasts.
LOCKOUT_TIERS = (
    (20, timedelta(hours=24)),
    (10, timedelta(hours=1)),
    (0, timedelta(minutes=15)),
)


def cool_off(request) -> timedelta:
    """django-axes' AXES_COOLOFF_TIME: the cool-off for this request's username and address,
    from the persistent failure log (AccessFailureLog) of the last 24 hours."""
    from axes.models import AccessFailureLog
    from django.conf import settings
    from django.utils import timezone

    base = timedelta(minutes=settings.AXES_COOLOFF_MINUTES)
    if request is None:
        return base
    username = getattr(request, "axes_credentials", None)
    username = username_of(request, username if isinstance(username, dict) else None)
    ip = getattr(request, "axes_ip_address", None)
    if not username or not ip:
        return base
    failures = AccessFailureLog.objects.filter(
        username=username,
        ip_address=ip,
        attempt_time__gte=timezone.now() - timedelta(hours=24),
    ).count()
    for threshold, length in LOCKOUT_TIERS:
        if failures >= threshold:
            return max(length, base)
    return base
