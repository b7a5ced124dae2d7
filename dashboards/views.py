"""Dashboards: the client's trajectory, the caseload, the supervisor's trends, the practice."""

from __future__ import annotations

import functools
import json
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.utils import timezone
from django.utils.html import escape, json_script
from django.views.decorators.http import require_GET, require_http_methods

import audit
from dashboards import reports
from ipnb_notes import access, batch, csvexport, links, listsearch
from ipnb_notes.http import AuthedRequest, wants_partial
from ipnb_notes.sudo import require_recent_authentication, sudo_mode
from ipnb_notes.templatetags.sources import status_of
from measures import reports as measure_reports
from sessions.capture import kinds
from sessions.models import RuptureEvent

CASELOAD_SORTS = {
    "name": (lambda r: r["name"].lower(), False),
    "last": (lambda r: r["last_at"] or timezone.now().replace(year=1), True),
    "next": (lambda r: r["next_at"] or timezone.now().replace(year=9999), False),
    "sessions": (lambda r: r["sessions_attended"], True),
    "trend": (
        lambda r: r["trend"].change if r["trend"].change is not None else 0,
        False,
    ),
    "ruptures": (lambda r: (r["open_ruptures"], r["oldest_open_days"] or 0), True),
    "unsigned": (lambda r: r["unsigned"], True),
    "days": (lambda r: r["days_since"] if r["days_since"] is not None else 10**6, True),
    "flags": (lambda r: len(r["flags"]), True),
}


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if user.is_practice_admin:
        access.require_practice_counts(user)
        return redirect("dashboards:practice")
    access.require_clinician(user)
    if user.is_supervisor:
        return redirect("dashboards:supervision")
    return redirect("dashboards:caseload")


@require_GET
def ping(request: AuthedRequest) -> HttpResponse:
    """The smallest authenticated page: the benchmark's yardstick for every other page."""
    return HttpResponse("ok", content_type="text/plain")


# --- The client's trajectory -----------------------------------------------------------------


def _window(request) -> int:
    try:
        return min(52, max(3, int(request.GET.get("window", reports.TREND_WINDOW))))
    except ValueError:
        return reports.TREND_WINDOW


@require_GET
def trajectory(request: AuthedRequest, code: UUID) -> HttpResponse:
    client, can_edit = access.get_trajectory_client_and_mode(request.user, code)
    window = _window(request)
    # Half a year of weekly sessions by default; "all" is one choice away.
    span = request.GET.get("range", "26")
    if span not in reports.RANGES:
        span = "26"
    audit.read(
        request,
        "client.trajectory_view",
        client=client,
        changes={"range": span, "window": window},
    )
    data = reports.trajectory(client.id, window=window, last=reports.RANGES[span])
    chart = {
        "labels": [s["date_iso"] for s in data.sessions],
        "composite": [s["composite"] for s in data.sessions],
        "indicators": [
            {"code": i["code"], "label": i["label"], "values": i["values"]}
            for i in data.indicators
        ],
        "zones": {
            z: [s[f"{z}_share"] for s in data.sessions]
            for z in ("hyper", "within", "hypo")
        },
        "coregulation": {
            "settled": [s["coreg_settled"] for s in data.sessions],
            "unsettled": [s["coreg_unsettled"] for s in data.sessions],
            "links": [s["links"] for s in data.sessions],
            "client_within": [s["within_share"] for s in data.sessions],
            "own_within": [s["own_within_share"] for s in data.sessions],
        },
        "attunement": {
            "matches": [s["matches"] for s in data.sessions],
            "mismatches": [s["mismatches"] for s in data.sessions],
            "repair_rate": [s["repair_rate"] for s in data.sessions],
        },
        "ruptures": [
            {
                "type": r["rupture_type"],
                "at": r["session_day"],
                "repaired": r["repair_day"],
                "open": r["open"],
            }
            for r in data.ruptures
        ],
        # Composite, PHQ-9, GAD-7 and ruptures on one time axis (bands from the registry).
        "timeline": reports.timeline_chart(data),
    }
    context = {
        "client": client,
        "data": data,
        "chart": chart,
        "window": window,
        "span": span,
        "ranges": [
            ("12", "Last 12 sessions"),
            ("26", "Last 26"),
            ("52", "Last 52"),
            ("all", "All"),
        ],
        "read_only": not can_edit,
        "measure_instruments": measure_reports.chart_instruments(),
    }
    context["freshness"] = reports.freshness(data.refreshed_at)
    context["tables"] = _trajectory_tables(data)
    template = "dashboards/trajectory.html"
    if wants_partial(request):
        template += "#trajectory-body"
        context["partial"] = True
        # An attribute value, escaped as the Django template escaped it.
        context["chart_json"] = escape(json.dumps(chart, cls=DjangoJSONEncoder))
    else:
        context["chart_script"] = json_script(chart, "trajectory-data")
    return render(request, template, context)


# The trajectory's data tables whose rows are numeric cells beside the session's date: each
# table's key in the context, the session's cells it prints (dashboards.reports.trajectory).
_NUMERIC_TABLES = (
    ("indicators", "indicator_cells"),
    ("zones", "zone_cells"),
    ("coregulation", "coreg_cells"),
    ("attunement", "attune_cells"),
)


def _trajectory_tables(data: reports.Trajectory) -> dict:
    """The <tbody> rows of the trajectory's data tables as the rows' macros print them
    (templates/jinja2/dashboards/_rows.html, escaped there): the same texts give the same
    rows, so each table is printed once per process for as long as its texts stay the same."""
    labels = [str(s["date_label"]) for s in data.sessions]
    tables = {
        name: _numeric_table(
            tuple(
                (label, *map(str, s[cells]))
                for label, s in zip(labels, data.sessions, strict=True)
            )
        )
        for name, cells in _NUMERIC_TABLES
    }
    tables["indicator_toggles"], tables["indicator_heads"] = _indicator_markup(
        tuple(
            (
                str(i["code"]),
                str(i["label"]),
                str(i["group"]),
                str(i["scale"][0]),
                str(i["scale"][1]),
                *map(str, status_of(i)),
            )
            for i in data.indicators
        )
    )
    tables["ruptures"] = _rupture_table(
        tuple(
            (
                str(r["at_label"]),
                str(r["rupture_type"]),
                bool(r["open"]),
                bool(r["open_long"]),
                str(r["age_label"]),
                str(r["repaired_label"]),
                str(r["repair_time_label"]),
            )
            for r in data.ruptures
        )
    )
    tables["measures"] = _measure_table(
        links.link("sessions:session_detail", _ZERO),
        tuple(
            (
                str(m["session_code"]) if m["session_code"] else "",
                str(m["date_label"]),
                str(m["name"]),
                None if m["total"] is None else str(m["total"]),
                str(m["band_label"]),
                str(m["why_no_total"]),
            )
            for m in data.measures
        ),
    )
    return tables


# Nothing but its key decides what a kept table shows (every text it prints, each row
# rebuilt from its texts), so rows kept for one client's page are exactly the rows any page
# with the same texts would print.


def _rows_macros():
    return engines["jinja2"].env.get_template("dashboards/_rows.html").module


@functools.lru_cache(maxsize=512)
def _numeric_table(rows: tuple):
    """One numeric table's rows, each its label, then its cells."""
    return _rows_macros().numeric_rows(
        [{"label": label, "cells": cells} for label, *cells in rows], "label", "cells"
    )


# The indicators whose line the chart shows at first.
_CHECKED_GROUP = "FACES"


@functools.lru_cache(maxsize=256)
def _indicator_markup(indicators: tuple) -> tuple:
    """The indicators' checkboxes and column heads, each indicator its code, label, group,
    scale and instrument status (label, url)."""
    macros = _rows_macros()
    rows = [
        {"code": code, "label": label, "group": group, "scale": [low, high]}
        for code, label, group, low, high, *_ in indicators
    ]
    statuses = [(status, url) for *_, status, url in indicators]
    return (
        macros.indicator_toggles(rows, _CHECKED_GROUP),
        macros.indicator_heads(rows, statuses),
    )


_RUPTURE_KEYS = (
    "at_label",
    "rupture_type",
    "open",
    "open_long",
    "age_label",
    "repaired_label",
    "repair_time_label",
)


@functools.lru_cache(maxsize=512)
def _rupture_table(rows: tuple):
    """The ruptures' rows, each the texts (and the open / long-open flags) it prints."""
    return _rows_macros().rupture_rows(
        [dict(zip(_RUPTURE_KEYS, row, strict=True)) for row in rows]
    )


_ZERO = links.ZERO
_MEASURE_KEYS = (
    "session_code",
    "date_label",
    "name",
    "total",
    "band_label",
    "why_no_total",
)


@functools.lru_cache(maxsize=512)
def _measure_table(session_base: str, rows: tuple):
    """The questionnaires' rows, each its session's code ("" without one) and the texts it
    prints (the total None when it is not computed); session_base links to a session."""
    return _rows_macros().measure_rows(
        [dict(zip(_MEASURE_KEYS, row, strict=True)) for row in rows],
        session_base,
        _ZERO,
    )


@sudo_mode
@require_GET
def trajectory_csv(request: AuthedRequest, code: UUID, chart: str) -> HttpResponse:
    client = access.get_trajectory_client(request.user, code)
    require_recent_authentication(request)  # an export of clinical data: sudo mode
    # The indicators' chart, and one per event kind that has a CSV (sessions.capture.kinds).
    kind = kinds.csv_kind(chart)
    if chart != "indicators" and kind is None:
        raise Http404
    audit.read(
        request, "client.trajectory_export", client=client, changes={"chart": chart}
    )
    data = reports.trajectory(client.id, window=_window(request))
    dates = [s["date_iso"] for s in data.sessions]
    if chart == "indicators":
        header = ["session_date", _composite_header("composite", data.composite)] + [
            i["label"] for i in data.indicators
        ]
        rows = [
            [d, _round(s["composite"])] + [i["values"][k] for i in data.indicators]
            for k, (d, s) in enumerate(zip(dates, data.sessions, strict=True))
        ]
    elif chart == "arousal":
        header = ["session_date", *kind.csv_columns]
        rows = [
            [
                d,
                s["observed"],
                _round(s["hyper_share"]),
                _round(s["within_share"]),
                _round(s["hypo_share"]),
            ]
            for d, s in zip(dates, data.sessions, strict=True)
        ]
    elif chart == "attunement":
        header = ["session_date", *kind.csv_columns]
        rows = [
            [
                d,
                s["matches"],
                s["mismatches"],
                s["attune_repairs"],
                _round(s["repair_rate"]),
            ]
            for d, s in zip(dates, data.sessions, strict=True)
        ]
    else:
        header = list(kind.csv_columns)
        rows = [
            [
                r["session_day"],
                r["rupture_type"],
                r["repair_day"] or "",
                _round(r["hours"]),
                r["sessions_later"] if r["sessions_later"] is not None else "",
                "yes" if r["open"] else "no",
            ]
            for r in data.ruptures
        ]
    return csvexport.response(f"trajectory-{chart}-{client.code}.csv", header, rows)


def _round(value, digits: int = 3):
    return "" if value is None else round(value, digits)


# --- The caseload ----------------------------------------------------------------------------


def caseload_cells(row: dict):
    """A caseload row's cells after the client's name (the `cells` macro of
    templates/jinja2/dashboards/_caseload_rows.html), escaped there, from the figures they
    print alone: dates, counts, the sparkline, trend, outcome lines and flags, never a name
    or a code. The same figures give the same cells, printed once per process for as long as
    they stay the same."""
    spark = row["sparkline"]
    return _caseload_cells(
        (
            row["last_iso"],
            row["last_label"],
            row["next_iso"],
            row["next_label"],
            row["sessions_attended"],
            (spark["points"], spark["width"], spark["height"], spark.get("label", "")),
            row["direction"],
            row["change_label"],
            row["open_ruptures"],
            row["oldest_open_days"],
            row["unsigned"],
            row["late"],
            row["days_since"],
            tuple(map(str, row["outcome"].short)),
            tuple(map(str, row["flags"])),
        )
    )


_CELL_KEYS = (
    "last_iso",
    "last_label",
    "next_iso",
    "next_label",
    "sessions_attended",
    "spark",
    "direction",
    "change_label",
    "open_ruptures",
    "oldest_open_days",
    "unsigned",
    "late",
    "days_since",
    "outcome",
    "flags",
)


@functools.lru_cache(maxsize=2048)
def _caseload_cells(figures: tuple):
    """One row's cells from its figures alone: nothing but the key decides what a kept
    entry shows."""
    values = dict(zip(_CELL_KEYS, figures, strict=True))
    points, width, height, label = values["spark"]
    values["spark"] = {
        "points": points,
        "width": width,
        "height": height,
        "label": label,
    }
    return _caseload_rows_module().cells(values)


def _caseload_rows_module():
    template = engines["jinja2"].env.get_template("dashboards/_caseload_rows.html")
    return _module_of(template)


@functools.lru_cache(maxsize=4)
def _module_of(template):
    return template.make_module({"rows": ()})


@require_http_methods(["GET", "POST"])
def caseload(request: AuthedRequest, code: UUID | None = None) -> HttpResponse:
    if code is not None:
        therapist = access.get_dashboard_supervisee(request.user, code)
    else:
        access.require_clinician(request.user)
        therapist = request.user
    params, q = listsearch.search_params(request)  # the name is searched by POST only
    include_all = params.get("show") == "all"
    rows, composite = reports.caseload_page(therapist.id, include_inactive=include_all)
    if q:
        rows = [
            r
            for r in rows
            if q.lower()
            in (r["legal_name"] + " " + (r["preferred_name"] or "")).lower()
        ]
    flagged = params.get("flagged") == "1"
    if flagged:
        rows = [r for r in rows if r["flags"]]
    sort = params.get("sort", "flags")
    if sort not in CASELOAD_SORTS:
        sort = "flags"
    key, reverse = CASELOAD_SORTS[sort]
    rows.sort(key=lambda r: r["name"].lower())
    rows.sort(key=key, reverse=reverse)
    refreshed = [r["refreshed_at"] for r in rows if r["refreshed_at"]]
    # A list of clients: record which ones were shown (AUD-01), codes only.
    audit.read(
        request, "caseload.view", target=therapist, clients=[r["code"] for r in rows]
    )
    for r in rows:
        r["cells"] = caseload_cells(r)
    context = {
        "therapist": therapist,
        "own": therapist.pk == request.user.pk,
        "rows": rows,
        "q": q,
        "flagged": flagged,
        "show": "all" if include_all else "active",
        "sort": sort,
        "freshness": reports.freshness(min(refreshed) if refreshed else None),
        "composite": composite,
        "window": reports.TREND_WINDOW,
        "thresholds": {
            "rupture": reports.RUPTURE_OPEN_DAYS,
            "session": reports.NO_SESSION_DAYS,
            "note": reports.note_late_hours(),
        },
        "measure_flags": measure_reports.FLAGS,
        "change_rule": measure_reports.rule_statement(),
    }
    template = "dashboards/caseload.html"
    if wants_partial(request):
        template += "#caseload-rows"
    filters = listsearch.filter_query(
        show="all" if include_all else "",
        sort="" if sort == "flags" else sort,
        flagged="1" if flagged else "",
    )
    return listsearch.push_filters_url(
        request, render(request, template, context), filters
    )


@sudo_mode
@require_GET
def caseload_csv(request: AuthedRequest, code: UUID | None = None) -> HttpResponse:
    if code is not None:
        therapist = access.get_dashboard_supervisee(request.user, code)
    else:
        access.require_clinician(request.user)
        therapist = request.user
    require_recent_authentication(request)  # clients' names and course leave the app
    rows, composite = reports.caseload_page(
        therapist.id, include_inactive=request.GET.get("show") == "all"
    )
    rows.sort(key=lambda r: r["name"].lower())
    # The file names every client in it: record which ones, codes only (AUD-01).
    audit.read(
        request, "caseload.export", target=therapist, clients=[r["code"] for r in rows]
    )
    header = [
        "client",
        "status",
        "last_session",
        "next_session",
        "sessions_attended",
        _composite_header("recent_composites", composite),
        "trend_change",
        "open_ruptures",
        "oldest_open_rupture_days",
        "unsigned_notes",
        "late_notes",
        "days_since_last_session",
        "phq9_gad7_change",
        "flags",
    ]
    out = [
        [
            r["name"],
            r["status"],
            timezone.localtime(r["last_at"]).date().isoformat() if r["last_at"] else "",
            timezone.localtime(r["next_at"]).isoformat(timespec="minutes")
            if r["next_at"]
            else "",
            r["sessions_attended"],
            " ".join(f"{v:.2f}" for v in r["recent_composites"] or []),
            _round(r["trend"].change, 2),
            r["open_ruptures"],
            "" if r["oldest_open_days"] is None else r["oldest_open_days"],
            r["unsigned"],
            r["late"],
            "" if r["days_since"] is None else r["days_since"],
            "; ".join(r["outcome"].short),
            "; ".join(r["flags"]),
        ]
        for r in rows
    ]
    return csvexport.response(f"caseload-{therapist.code}.csv", header, out)


# --- The supervisor's view -------------------------------------------------------------------


# A supervisor's current supervisees (access.dashboard_supervisees), built and compiled once
# per shape of reader (ipnb_notes.batch.Baked): only the reader and the clock change between
# requests. Anyone who is not a supervisor gets the rule's 404 from the build.
_SUPERVISEE_IDS = batch.Baked(
    lambda user: [access.dashboard_supervisees(user).values_list("id")]
)


def _supervisee_ids(user) -> list[int]:
    [rows] = batch.fetch(*map(batch.plain, _SUPERVISEE_IDS(user)))
    return [row[0] for row in rows]


def _weekly_cards(people: list[dict]) -> list:
    """Each supervisee's weekly card (templates/jinja2/dashboards/_supervision_weekly.html)
    as the card's macro prints it, escaped there: the same figures give the same card, so
    each card is printed once per process for as long as its figures stay the same."""
    return [
        _weekly_card(
            (
                str(p["full_name"]),
                tuple((str(w["label"]), *map(str, w["cells"])) for w in p["weeks"]),
                tuple(
                    (
                        str(label),
                        *(str(m[key]) for key in _MULTIPLE_KEYS),
                        tuple(map(str, m["segments"])),
                    )
                    for label, m in p["multiples"]
                ),
            )
        )
        for p in people
    ]


# What a card prints of each small multiple beside its label and segments.
_MULTIPLE_KEYS = ("width", "height", "axis", "top")


@functools.lru_cache(maxsize=256)
def _weekly_card(figures: tuple):
    """One card, from its figures alone (every one as the text it prints): nothing but the
    key decides what the cached card shows, so a card kept for one supervisor's page is
    exactly the card any page with the same figures would print."""
    name, weeks, multiples = figures
    template = engines["jinja2"].env.get_template("dashboards/_supervision_weekly.html")
    card = template.make_module({"people": ()}).card
    return card(
        {
            "full_name": name,
            "weeks": [{"label": label, "cells": cells} for label, *cells in weeks],
            "multiples": [
                (
                    label,
                    dict(zip(_MULTIPLE_KEYS, values, strict=True)) | {"segments": s},
                )
                for label, *values, s in multiples
            ],
        }
    )


@require_GET
def supervision(request: AuthedRequest) -> HttpResponse:
    people, composite = reports.supervision_page(
        request.user.id, _supervisee_ids(request.user)
    )
    refreshed = [p["refreshed_at"] for p in people if p["refreshed_at"]]
    weeks = reports.weeks_back()
    context = {
        "people": people,
        "weekly_cards": _weekly_cards(people),
        "composite": composite,
        "window": reports.TREND_WINDOW,
        "weeks": weeks,
        "freshness": reports.freshness(min(refreshed) if refreshed else None),
        "summary_weeks": 12,
        "thresholds": {
            "rupture": reports.RUPTURE_OPEN_DAYS,
            "note": reports.note_late_hours(),
        },
        "concern": reports.concern_statement(),
        "change_rule": measure_reports.rule_statement(),
    }
    return render(request, "dashboards/supervision.html", context)


@require_GET
def supervisee_ruptures(request: AuthedRequest, code: UUID) -> HttpResponse:
    """The unrepaired ruptures of a supervisee's current clients, each linking to its session."""
    therapist = access.get_dashboard_supervisee(request.user, code)
    rows = reports.open_ruptures(therapist.id)
    types = dict(RuptureEvent.Type.choices)
    for row in rows:
        row["type_label"] = types.get(row["rupture_type"], row["rupture_type"])
    audit.read(
        request,
        "supervision.ruptures_view",
        target=therapist,
        clients=sorted({str(r["client_code"]) for r in rows}),
    )
    context = {
        "therapist": therapist,
        "rows": rows,
        "threshold": reports.RUPTURE_OPEN_DAYS,
    }
    template = "dashboards/supervisee_ruptures.html"
    if wants_partial(request):
        template += "#rupture-list"
    return render(request, template, context)


@require_GET
def supervision_csv(request: AuthedRequest) -> HttpResponse:
    people = reports.supervision(request.user.id, _supervisee_ids(request.user))
    header = [
        "clinician",
        "week",
        "sessions",
        "median_lag_hours",
        "ruptures_per_10_sessions",
        "share_repaired_same_session",
    ]
    rows = [
        [
            p["full_name"],
            w["week"].isoformat(),
            w["sessions"],
            _round(w["lag"], 1),
            _round(w["ruptures_per_10"], 2),
            _round(w["repaired_same"]),
        ]
        for p in people
        for w in p["weeks"]
    ]
    return csvexport.response("supervision-weekly.csv", header, rows)


# --- The practice ----------------------------------------------------------------------------


@require_GET
def practice(request: AuthedRequest) -> HttpResponse:
    access.require_practice_counts(request.user)
    counts = reports.practice_counts()
    chart = {
        "labels": [w["week"].isoformat() for w in counts["weeks"]],
        "documented": [w["documented"] for w in counts["weeks"]],
        "sessions": [w["sessions"] for w in counts["weeks"]],
    }
    return render(
        request, "dashboards/practice.html", {"counts": counts, "chart": chart}
    )


@require_GET
def practice_csv(request: AuthedRequest) -> HttpResponse:
    access.require_practice_counts(request.user)
    counts = reports.practice_counts()
    rows = [
        [w["week"].isoformat(), w["sessions"], w["documented"]] for w in counts["weeks"]
    ]
    return csvexport.response(
        "practice-weekly.csv", ["week", "sessions_attended", "notes_signed"], rows
    )


def _composite_header(name: str, composite: reports.Composite) -> str:
    """A CSV column of composites names the indicators it averages and their scale."""
    scale = composite.scale
    return f"{name} (mean of {'; '.join(m['label'] for m in composite.members)}; each {scale.low}-{scale.high})"
