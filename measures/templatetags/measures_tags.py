from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def checkin_status() -> str:
    """What the post-session check-in is, from the instrument registry (one home)."""
    from measures.instruments import CHECKIN_STATUS

    return CHECKIN_STATUS
