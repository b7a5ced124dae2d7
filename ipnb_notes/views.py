"""Role home pages and the health probe."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ipnb_notes.http import AuthedRequest


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if user.is_practice_admin:
        from accounts.models import User

        context = {
            "counts": {
                role.label: User.objects.filter(role=role, is_active=True).count()
                for role in User.Role
            }
        }
        return render(request, "home/admin.html", context)
    from sessions.notes.services import home_context

    # Open risk alerts (PHQ-9 item 9, first on the page) ride in the lists' one round trip.
    context = home_context(user)
    context |= _status_labels()
    _record_clients_shown(request, context)
    if user.is_supervisor:
        return render(request, "home/supervisor.html", context)
    return render(request, "home/therapist.html", context)


@functools.cache
def _status_labels() -> dict:
    """The choices the home's templates print (built once)."""
    from sessions.scheduling.forms import MarkForm

    return {
        # The one-click marks of a past session still scheduled (home/_past_scheduled.html).
        "mark_choices": MarkForm.base_fields["status"].choices,
    }


def _record_clients_shown(request: AuthedRequest, context: dict) -> None:
    """The home lists name clients: record which ones were shown (AUD-01), codes only."""
    import audit

    shown = {
        str(item.client.code)
        for key in (
            "risk_alerts",
            "today_sessions",
            "to_write",
            "drafts",
            "returned",
            "cosign_queue",
            "open_threads",
            "open_ruptures",
            "past_scheduled",
        )
        for item in context.get(key, [])
    }
    audit.read(request, "home.list_view", clients=sorted(shown))


def _broker_status() -> str:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return "eager"
    from ipnb_notes.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        return "unreachable"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request) -> JsonResponse:
    """Database and broker status for load balancers and monitors. No PHI, no login.

    A monitor that sends `Authorization: Bearer <HEALTHZ_TOKEN>` also gets the operational
    probes (backups, restore drill, WAL archiving, audit verification, clock; REL-11)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "unreachable"
    broker = _broker_status()
    healthy = database == "ok" and broker in {"ok", "eager"}
    body = {
        "status": "ok" if healthy else "fail",
        "database": database,
        "broker": broker,
    }
    if database == "ok":
        from ipnb_notes import outbox

        # Tasks waiting for the broker: a growing age means the broker or the sweeper is down.
        body["outbox"] = outbox.lag()
        if _monitor_token_given(request):
            from ipnb_notes import health

            body["probes"] = health.report()
            if healthy and any(p["status"] != "ok" for p in body["probes"].values()):
                body["status"] = "warn"
    return JsonResponse(body, status=200 if healthy else 503)


def _monitor_token_given(request) -> bool:
    import hmac

    from django.conf import settings

    expected = settings.HEALTHZ_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@require_GET
def sources(request: AuthedRequest) -> HttpResponse:
    """Where each concept and rating comes from, and what is and is not validated: for every
    signed-in user (the sign-in middleware guards it); it holds no client data."""
    from ipnb_notes import sources as catalogue
    from sessions.models import InstrumentStatus

    statuses = [
        {
            "anchor": catalogue.status_anchor(code),
            "code": code,
            "label": label,
            "meaning": catalogue.STATUS_MEANINGS[code],
        }
        for code, label in InstrumentStatus.choices
    ]
    return render(
        request,
        "sources.html",
        {"sources": catalogue.SOURCES, "statuses": statuses},
    )
