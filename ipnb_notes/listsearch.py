"""Searching a list page by name without the name ever entering a URL.

A name typed into a search field would otherwise travel in `?q=`: into the address bar and
the browser history, into every access log (gunicorn, the TLS proxy) and into the Referer of
the next request. So the list pages' search forms POST (htmx `hx-post`, and a plain
`method="post"` form without JavaScript), and the term is read from the request body only.
Filters, sort and page carry no name: they stay readable from GET, so a filtered list can be
bookmarked, and an htmx search pushes the URL of its filters (never its term) into history.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.http import urlencode

from ipnb_notes.http import wants_partial


def search_params(request: HttpRequest) -> tuple[QueryDict, str]:
    """The parameters holding the page's filters, and the search term (POST only: a `q` in
    the query string is ignored, so a URL with a name in it finds nothing by it)."""
    if request.method == "POST":
        return request.POST, request.POST.get("q", "").strip()
    return request.GET, ""


def filter_query(**filters: str) -> str:
    """The query string of the filters that differ from their defaults (empty values are
    left out): for pagination links and the URL pushed into history. Never pass a name."""
    return urlencode({k: v for k, v in filters.items() if v})


def push_filters_url(
    request: HttpRequest, response: HttpResponse, query: str
) -> HttpResponse:
    """After an htmx search, show the filters (never the term) in the address bar, as the
    GET filters did before. Nothing is pushed when the address would not change."""
    if request.method != "POST" or not wants_partial(request):
        return response
    url = request.path + (f"?{query}" if query else "")
    current = getattr(request.htmx, "current_url_abs_path", None)
    if current != url:
        response["HX-Push-Url"] = url
    return response
