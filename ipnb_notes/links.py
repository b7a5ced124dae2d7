"""Links, each URL pattern reversed once per process (per script prefix and URLconf) instead
of once per link on every request.

A page prints tens of links to a client, a session or a note; `reverse` walks the URLconf
for each (about 30 µs). `link(name, code)` reverses the pattern once with a stand-in UUID and
puts each link's own code in its place; the Jinja2 partials' `url()` goes through it too.
Only URL patterns are kept, never a code.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

ZERO = "00000000-0000-0000-0000-000000000000"


def link(name: str, code: UUID | str | None = None) -> str:
    """reverse(name) or reverse(name, args=[code]) for a URL whose one argument is a UUID."""
    pattern = _pattern(name, code is not None, get_script_prefix(), get_urlconf())
    return pattern if code is None else pattern.replace(ZERO, str(code))


# Passed to a Jinja2 partial through {% jinja %}: the Django template hands it over uncalled.
link.do_not_call_in_templates = True


@lru_cache(maxsize=256)
def _pattern(name: str, with_code: bool, _prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf, args=[ZERO] if with_code else None)


def _forget(*, setting: str, **_kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _pattern.cache_clear()


setting_changed.connect(_forget)
