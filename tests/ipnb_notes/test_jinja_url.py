"""The Jinja2 partials' url() gives exactly what reverse() gives, for every named URL without
arguments and every one taking one UUID (those come from patterns kept per process,
ipnb_notes.links), and falls back to reverse() for any other arguments."""

from __future__ import annotations

import uuid

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from ipnb_notes.jinja2 import url


def _named(resolver: URLResolver, namespace: str = ""):
    """(name, converters) of every named pattern, namespaced as reverse() takes it."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            for name, converters in _named(entry, inner):
                yield name, {**entry.pattern.converters, **converters}
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", dict(entry.pattern.converters)


def test_url_is_reverse_for_every_named_url():
    checked = {"none": 0, "uuid": 0}
    for name, converters in _named(get_resolver()):
        if not converters:
            try:
                expected = reverse(name)
            except Exception:  # noqa: BLE001 (a regex pattern with a group of its own)
                continue
            assert url(name) == expected, name
            checked["none"] += 1
        elif len(converters) == 1 and isinstance(
            next(iter(converters.values())), UUIDConverter
        ):
            code = uuid.uuid4()
            assert url(name, code) == reverse(name, args=[code]), name
            checked["uuid"] += 1
    # The URLconf has many of both: the test walked them, not an empty list.
    assert checked["none"] > 20
    assert checked["uuid"] > 20


def test_other_arguments_go_through_reverse():
    code = uuid.uuid4()
    assert url("sessions:session_detail", str(code)) == reverse(
        "sessions:session_detail", args=[str(code)]
    )
