"""Every URL pattern of the project, with sample arguments, for tests that must cover all views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

SAMPLE = {
    "uuid": str(uuid.UUID(int=1)),
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "path": "sample",
}


@dataclass(frozen=True)
class Route:
    name: str
    path: str

    def __str__(self) -> str:
        return self.name


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + _route_text(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield Route(
                name=f"{namespace}{p.name}" if p.name else "<unnamed>",
                path=prefix + _route_text(p.pattern),
            )


def _route_text(pattern) -> str:
    route = str(pattern)
    if route.startswith("^"):  # regex patterns (allauth uses a few)
        route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    return route


def _concrete(route: str) -> str:
    import re

    def sub(match):
        converter = (match.group(1) or "str").rstrip(":")
        return SAMPLE.get(converter, "sample")

    url = re.sub(r"<(\w+:)?\w+>", sub, route)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "sample", url)
    return "/" + url


def all_routes() -> list[Route]:
    return [
        Route(name=r.name, path=_concrete(r.path))
        for r in _walk(get_resolver().url_patterns)
    ]
