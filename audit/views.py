"""The practice admin's audit report and its CSV export. Both are audited themselves."""

from __future__ import annotations

import contextlib
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.forms import (
    CLIENT_MATCH_LIMIT,
    ClientNameSearchForm,
    EmergencyAccessForm,
    EmergencyLookupForm,
)
from audit.reports import HEADER, AuditFilterForm, csv_rows, filtered_events
from clients import queries as client_queries
from clients import services as client_services
from ipnb_notes import access, csvexport
from ipnb_notes.http import AuthedRequest, wants_partial
from ipnb_notes.sudo import require_recent_authentication, sudo_mode


@require_http_methods(["GET", "POST"])
def event_list(request: AuthedRequest) -> HttpResponse:
    """The report, filtered by GET (codes, dates, actions: bookmarkable), or searched by a
    client's name by POST (the name never enters a URL; the search is audited by its length,
    with the codes of the clients it matched)."""
    access.require_admin(request.user)
    if request.method == "POST":
        return _client_name_search(request)
    form = AuditFilterForm(request.GET or None)
    context = {"form": form, "name_form": ClientNameSearchForm()}
    if request.GET and not form.is_valid():
        # Unknown sort keys and malformed filters are refused, never passed to the query.
        return render(request, "audit/event_list.html", context, status=400)
    data = form.cleaned_data if request.GET else {"sort": "-seq"}
    page = Paginator(filtered_events(data), 50).get_page(request.GET.get("page"))
    audit.record(
        "audit.report_view",
        request=request,
        changes={
            "filters": form.active_filters() if request.GET else {},
            "sort": data.get("sort") or "-seq",
            "page": page.number,
        },
    )
    template = "audit/event_list.html"
    if wants_partial(request):
        template += "#event-rows"
    return render(request, template, {**context, "page": page})


def _client_name_search(request: AuthedRequest) -> HttpResponse:
    # The filters travel with the name in the POST body, so that paging keeps both.
    form = AuditFilterForm(request.POST)
    name_form = ClientNameSearchForm(request.POST)
    context = {"form": form, "name_form": name_form, "name_search": True}
    if not (form.is_valid() and name_form.is_valid()):
        return render(request, "audit/event_list.html", context, status=400)
    name = name_form.cleaned_data["client_name"]
    matches = list(
        client_queries.assignment_list(
            access.assignable_clients(request.user), q=name
        ).prefetch_related(None)[:CLIENT_MATCH_LIMIT]
    )
    data = {**form.cleaned_data, "client_codes": [c.code for c in matches]}
    page = Paginator(filtered_events(data), 50).get_page(request.POST.get("page"))
    # The clients' names are on this page: a read naming them; the name only by its length.
    audit.read(
        request,
        "audit.report_client_search",
        clients=matches,
        changes={
            "name_length": len(name),
            "filters": form.active_filters(),
            "sort": form.cleaned_data.get("sort") or "-seq",
            "page": page.number,
        },
    )
    template = "audit/event_list.html"
    if wants_partial(request):
        template += "#event-rows"
    return render(
        request,
        template,
        {
            **context,
            "page": page,
            "matches": matches,
            "match_limit": CLIENT_MATCH_LIMIT,
            # For the pagination buttons: page on by submitting the search form again.
            "q": name,
            "search_form": "audit-name-search",
        },
    )


@sudo_mode
@require_GET
def event_export(request: AuthedRequest) -> HttpResponse:
    access.require_admin(request.user)
    require_recent_authentication(request)
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "audit/event_list.html", {"form": form}, status=400)
    data = form.cleaned_data if request.GET else {"sort": "-seq"}
    events = filtered_events(data)
    audit.record(
        "audit.report_export",
        request=request,
        changes={
            "filters": form.active_filters() if request.GET else {},
            "sort": data.get("sort") or "-seq",
            "rows": events.count(),
        },
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    # Streamed (the trail can be long), so no digest header can precede it.
    return csvexport.streaming_response(
        f"audit-{stamp}.csv", HEADER, csv_rows(events.iterator(chunk_size=2000))
    )


@sudo_mode
@require_http_methods(["GET", "POST"])
def emergency_access(request: AuthedRequest) -> HttpResponse:
    """Look a client up (by exact code, or a name search of at least 3 characters: the page
    lists no clients), then open their record read-only with a typed reason. The whole page
    is in sudo mode. Look-ups go by POST, so that no name travels in a URL; each is audited."""
    access.require_break_glass(request.user)
    require_recent_authentication(request)
    template = "audit/emergency_access.html"
    context = {"minutes": settings.BREAK_GLASS_MINUTES}
    lookup = EmergencyLookupForm(prefix="lookup")
    if request.method == "GET":
        return render(request, template, {**context, "lookup": lookup})
    if "lookup-query" in request.POST:
        lookup = EmergencyLookupForm(request.POST, prefix="lookup")
        if not lookup.is_valid():
            return render(request, template, {**context, "lookup": lookup}, status=400)
        matches = client_services.emergency_access_lookup(
            user=request.user, query=lookup.cleaned_data["query"], request=request
        )
        form = EmergencyAccessForm(
            client_choices=access.break_glass_clients(request.user).filter(
                pk__in=[c.pk for c in matches]
            )
        )
        return render(
            request,
            template,
            {**context, "lookup": lookup, "form": form, "searched": True},
        )
    form = EmergencyAccessForm(
        request.POST,
        client_choices=access.break_glass_clients(request.user).filter(
            code__in=_uuids(request.POST.getlist("client"))
        ),
    )
    if not form.is_valid():
        return render(
            request, template, {**context, "lookup": lookup, "form": form}, status=400
        )
    grant = client_services.emergency_access_grant(
        user=request.user,
        client=form.cleaned_data["client"],
        reason=form.cleaned_data["reason"],
        request=request,
    )
    messages.warning(
        request,
        f"Emergency access granted, read-only, until "
        f"{timezone.localtime(grant.expires_at):%H:%M %b %d}. Every page you open is recorded.",
    )
    return redirect(grant)


def _uuids(values: list[str]) -> list[UUID]:
    codes = []
    for value in values:
        with contextlib.suppress(ValueError):
            codes.append(UUID(value))
    return codes


@login_not_required
@csrf_exempt
@require_POST
def csp_report(request) -> HttpResponse:
    """Browsers report Content-Security-Policy violations here (the policy's report-uri).
    Only the directive and the blocked origin are logged: a report can quote page text.
    Anyone can post here, so every logged value has its control characters (CR, LF, escape
    sequences) replaced, and one address gets CSP_REPORTS_PER_MINUTE reports a minute: more
    answer 429 and log nothing."""
    import json
    import logging
    from urllib.parse import urlsplit

    from ipnb_notes.http import over_rate_limit

    def safe(value, limit: int) -> str:
        # One report, one log line: nothing a sender writes can start a line of its own.
        return "".join(c if c.isprintable() else "?" for c in str(value)[:limit])

    if over_rate_limit(request, "csp_report", limit=CSP_REPORTS_PER_MINUTE, seconds=60):
        return HttpResponse(status=429)
    if request.content_type not in (
        "application/csp-report",
        "application/json",
        "application/reports+json",
    ):
        return HttpResponse(status=415)
    if len(request.body) > 16_384:
        return HttpResponse(status=413)
    try:
        report = json.loads(request.body or b"{}").get("csp-report", {})
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    if not isinstance(report, dict):
        return HttpResponse(status=400)
    blocked = str(report.get("blocked-uri", ""))
    parts = urlsplit(blocked)
    logging.getLogger("ipnb_notes.csp").warning(
        "CSP violation: directive=%s blocked=%s page=%s",
        safe(
            report.get("effective-directive") or report.get("violated-directive", ""),
            64,
        ),
        safe(f"{parts.scheme}://{parts.netloc}" if parts.netloc else blocked[:16], 200),
        safe(urlsplit(str(report.get("document-uri", ""))).path, 200),
    )
    return HttpResponse(status=204)


# Browsers send one report per violation: a page with a few blocked resources sends a few.
CSP_REPORTS_PER_MINUTE = 60
