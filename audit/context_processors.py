from __future__ import annotations

from django.utils import timezone
from django.utils.functional import SimpleLazyObject


def emergency_notices(request) -> dict:
    """Emergency accesses to the signed-in clinician's clients, queried only on the pages
    that show them (audit/_emergency_notices.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinician:
        return {}
    from ipnb_notes import access

    return {
        "emergency_notices": SimpleLazyObject(
            lambda: list(access.emergency_notices(user))
        ),
        "now": timezone.now(),
    }
