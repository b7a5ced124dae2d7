"""Login lockout (django-axes) wired for a project whose only sign-in form is allauth's."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, except that a call with no request (the test client's `login()`,
    a shell) is let through to the next backend instead of raising: lockout is about sign-in
    attempts over HTTP, and every HTTP sign-in passes a request.

    django-axes locks a (sign-in name, address) pair, so failures from one address never lock
    the account out from another. On top of that, the account itself is locked for every
    address while failures from AXES_ACCOUNT_LOCK_NETWORKS different networks have piled up
    within AXES_ACCOUNT_LOCK_MINUTES (account_locked): guessing spread over many addresses
    is stopped, and one attacker alone cannot lock a clinician out."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        from django.conf import settings

        if not settings.AXES_ENABLED:
            return None
        name = username_of(request, {"username": username, **kwargs})
        if name and account_locked(name):
            from axes.exceptions import AxesBackendPermissionDenied
            from axes.helpers import get_lockout_message

            kwargs.get("response_context", {})["error"] = get_lockout_message()
            # AxesMiddleware answers with the lockout page (429). The attempt still counts as
            # a failure of this name and address, as every attempt during a lockout does.
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("the account is locked for every address")
        return None


def network_of(address: str) -> str:
    """The source an address stands for in lockouts: an IPv4 address itself, an IPv6
    address's /64 (written as its first address). One host is usually given a whole /64:
    keyed address by address, one attacker could rotate through endless fresh lockout
    counters and look like thousands of sources."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def lockout_address(request) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the client's address (ipnb_notes.http.client_ip,
    which trusts X-Forwarded-For from TRUSTED_PROXY_COUNT proxies only) as its network."""
    from ipnb_notes.http import client_ip

    address = client_ip(request)
    return network_of(address) if address else None


def account_locked(username: str) -> bool:
    """True while failures for this sign-in name have come from AXES_ACCOUNT_LOCK_NETWORKS
    or more networks within the last AXES_ACCOUNT_LOCK_MINUTES."""
    from axes.models import AccessFailureLog
    from django.conf import settings
    from django.utils import timezone

    since = timezone.now() - timedelta(minutes=settings.AXES_ACCOUNT_LOCK_MINUTES)
    addresses = (
        AccessFailureLog.objects.filter(username=username, attempt_time__gte=since)
        .values_list("ip_address", flat=True)
        .distinct()
    )
    networks = {network_of(a) for a in addresses if a}
    return len(networks) >= settings.AXES_ACCOUNT_LOCK_NETWORKS


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
# the last day, the longer that pair's lockout lasts (the account stays open elsewhere).
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
