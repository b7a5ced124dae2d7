from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("measures/_client_section.html", takes_context=True)
def measures_section(context):
    """The client page's Measures section: one query (measures.services.client_summary)."""
    from measures.services import client_summary

    client = context["client"]
    return {
        "client": client,
        "can_edit": context.get("can_edit", False),
        "measures": client_summary(client),
    }


@register.simple_tag
def checkin_status() -> str:
    """What the post-session check-in is, from the instrument registry (one home)."""
    from measures.instruments import CHECKIN_STATUS

    return CHECKIN_STATUS
