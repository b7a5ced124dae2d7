"""Login lockout (django-axes) wired for a project whose only sign-in form is allauth's."""

from __future__ import annotations

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
