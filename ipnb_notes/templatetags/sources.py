"""Instrument-status labels and attributions, each linked to its entry on the Sources page.

The label comes from the indicator (its instrument_status, read through InstrumentStatus),
the link from ipnb_notes.sources: templates never spell a status label themselves.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.html import format_html

from ipnb_notes import sources

register = template.Library()


def status_of(item) -> tuple[str, str]:
    """(label, url) of an indicator, a row dict of one, or a bare InstrumentStatus code."""
    if isinstance(item, str):
        return _label(item), sources.url(sources.status_anchor(item))
    if isinstance(item, dict):
        status, group = item["instrument_status"], item["group"]
    else:
        status, group = item.instrument_status, item.group
    return _label(status), sources.url(sources.indicator_anchor(group, status))


@lru_cache(maxsize=64)
def _label(status: str) -> str:
    from sessions.models import InstrumentStatus

    return str(InstrumentStatus(status).label)


@register.simple_tag
def status_link(item) -> str:
    label, href = status_of(item)
    return format_html('<a class="status-label" href="{}">{}</a>', href, label)


@register.simple_tag
def source_link(anchor: str, text: str) -> str:
    return format_html(
        '<a class="source-link" href="{}">{}</a>', sources.url(anchor), text
    )


@register.simple_tag
def source_caveat(anchor: str) -> str:
    sources.url(anchor)  # refuses an unknown anchor
    return sources.BY_ANCHOR[anchor].caveat
