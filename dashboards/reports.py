"""Read-only aggregates for the dashboards: one SQL statement per block of a page.

Pages read the rollups (dashboards.models) and a few indexed look-ups of the live record
(next session, unsigned notes, co-signature queue) that change without a rollup refresh.
Python only shapes the rows the database returns into what the templates and charts need.
Process notes are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import connection
from django.template.defaultfilters import floatformat
from django.utils import timezone

from dashboards.services import TREND_WINDOW
from ipnb_notes import batch, sources
from ipnb_notes.practice import note_late_hours
from measures import reports as measure_reports
from measures.instruments import INSTRUMENTS as MEASURE_INSTRUMENTS
from sessions.models import COMPOSITE_SCALE, InstrumentStatus, Scale

# A trend is "declining" or "rising" when the fitted change over its window reaches this
# fraction of the composite scale's range: 0.3 points on the 0-4 scale (docs/DECISIONS.md).
TREND_THRESHOLD_FRACTION = 0.075


def trend_threshold(scale: Scale = COMPOSITE_SCALE) -> float:
    """The change, in scale points, that makes a trend "declining" or "rising"."""
    return round(TREND_THRESHOLD_FRACTION * scale.span, 6)


TREND_THRESHOLD = trend_threshold(COMPOSITE_SCALE)
RUPTURE_OPEN_DAYS = 14
NO_SESSION_DAYS = 21
HISTORY_WEEKS = 26
# Attended sessions without a note are looked for this far back (caseload and supervision).
MISSING_NOTE_DAYS = 90


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _percent(share: float | None) -> str:
    """A share as a whole percentage, as {% widthratio share 1 100 %} printed it."""
    return "" if share is None else str(round(float(share) / 1.0 * 100))


def _widthratio_pct(share: float | None) -> str:
    return "–" if share is None else f"{_percent(share)}%"


def duration_label(hours: float | None) -> str:
    """'25 min' under an hour, '3.5 h' under two days, else '4.2 days'."""
    if hours is None:
        return "–"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 2 * 24:  # two days: a display unit only
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _multi(statements: list[str], params: dict) -> list[list[dict]]:
    """Several read-only statements sent in one round trip, each prepared (batch.run); one
    result list per statement. Round trips, not SQL, dominate these pages' latency."""
    return [
        [dict(zip(cols, row, strict=True)) for row in rows]
        for cols, rows in batch.run([(sql, params) for sql in statements])
    ]


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cols = [c.name for c in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def freshness(refreshed_at: datetime | None) -> dict | None:
    """When a page's figures were computed, as templates/dashboards/_freshness.html prints
    it (its Jinja2 twin, templates/jinja2/dashboards/_freshness.html): the practice-local
    moment, its time alone when it is today, else its day and time."""
    if refreshed_at is None:
        return None
    local = timezone.localtime(refreshed_at)
    today = local.date() == timezone.localdate()
    return {
        "iso": local.isoformat(),
        "label": local.strftime("%H:%M" if today else "%b %-d, %H:%M"),
    }


# --- The trend -------------------------------------------------------------------------------


@dataclass
class Trend:
    slope: float | None
    n: int
    scale: Scale = COMPOSITE_SCALE

    @property
    def threshold(self) -> float:
        return trend_threshold(self.scale)

    @property
    def change(self) -> float | None:
        """Fitted change from the first to the last session of the window."""
        if self.slope is None or self.n < 2:
            return None
        # + 0.0 turns a rounded -0.0 into 0.0, so a flat line never reads "-0.0".
        return round(self.slope * (self.n - 1), 6) + 0.0

    @property
    def direction(self) -> str:
        change = self.change
        if change is None or self.n < 3:
            return "none"
        if change <= -self.threshold:
            return "down"
        if change >= self.threshold:
            return "up"
        return "flat"

    @property
    def declining(self) -> bool:
        return self.direction == "down"

    def statement(self, label: str = "Composite") -> str:
        if self.change is None:
            return f"{label}: not enough rated sessions for a trend (at least 2 are needed)."
        change = round(self.change, 1) + 0.0
        slope = round(self.slope, 2) + 0.0
        return (
            f"{label} {change:+.1f} over the last {self.n} rated sessions; "
            f"slope {slope:+.2f} per session (least-squares fit; change = slope "
            f"× {self.n - 1} intervals)."
        )


def least_squares_slope(values: list[float]) -> float | None:
    """Slope of values against 1..n (the same fit as PostgreSQL's regr_slope); for tests."""
    n = len(values)
    if n < 2:
        return None
    xs = range(1, n + 1)
    mean_x = (n + 1) / 2
    mean_y = sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values, strict=True))
    return sxy / sxx


# --- The composite and its members ----------------------------------------------------------

# The indicators the composite averages: marked for it, on its scale (the rollup's own filter),
# active or with ratings stored. One statement, sent with the page's others.
# The retired ones with ratings are found by a semi-join, computed once: a correlated EXISTS
# under the OR is planned for an average indicator (tens of thousands of ratings, the first
# found at once) and became a scan of every rating for each retired indicator without any
# (about 1 s per page on the benchmark's 680,000 ratings); the semi-join probes the
# indicator_id index once per retired indicator.
COMPOSITE_MEMBERS_SQL = """
    SELECT i.code, i.label, i."group", i.instrument_status, i.retired_at IS NOT NULL AS retired
    FROM therapy_sessions_integrationindicator i
    WHERE i.in_composite AND i.scale_min = %(cmin)s AND i.scale_max = %(cmax)s
      AND (i.retired_at IS NULL OR i.id IN (
          SELECT j.id FROM therapy_sessions_integrationindicator j
          WHERE j.retired_at IS NOT NULL AND EXISTS (
              SELECT 1 FROM therapy_sessions_integrationrating r
              WHERE r.indicator_id = j.id)))
    ORDER BY i.sort_order, i.id
    """
COMPOSITE_PARAMS = {"cmin": COMPOSITE_SCALE.low, "cmax": COMPOSITE_SCALE.high}


@dataclass
class Composite:
    """What a composite shown on a page is made of: its member indicators and its scale."""

    members: list[dict]
    scale: Scale = COMPOSITE_SCALE

    @property
    def threshold(self) -> float:
        return trend_threshold(self.scale)

    @property
    def threshold_label(self) -> str:
        return f"{self.threshold:g}"

    @property
    def threshold_share(self) -> str:
        """The threshold as a share of the scale's range, for the pages' explanations."""
        return f"{TREND_THRESHOLD_FRACTION * 100:g}%"

    @property
    def names(self) -> str:
        return ", ".join(
            m["label"] + (" (retired)" if m.get("retired") else "")
            for m in self.members
        )

    @property
    def statuses(self) -> list[dict]:
        """The members grouped by instrument status, each group with its label and link."""
        groups: dict[str, dict] = {}
        for m in self.members:
            status = m["instrument_status"]
            group = groups.setdefault(
                status,
                {
                    "code": status,
                    "label": InstrumentStatus(status).label,
                    "url": sources.url(sources.status_anchor(status)),
                    "names": [],
                },
            )
            group["names"].append(
                m["label"] + (" (retired)" if m.get("retired") else "")
            )
        return list(groups.values())

    @property
    def source_url(self) -> str:
        return sources.url("composite")


# --- The client's trajectory -----------------------------------------------------------------

RANGES = {"12": 12, "26": 26, "52": 52, "all": None}


@dataclass
class Trajectory:
    sessions: list[dict]
    indicators: list[dict]
    ruptures: list[dict]
    trend: Trend
    window: int
    refreshed_at: datetime | None
    first_seq: int = 1
    totals: dict = field(default_factory=dict)
    # PHQ-9 and GAD-7 administrations from the first session shown on (totals, no answers).
    measures: list[dict] = field(default_factory=list)

    @property
    def composite(self) -> Composite:
        """The composite of the sessions shown: the in-composite indicators rated in them."""
        return Composite([i for i in self.indicators if i["in_composite"]])


def trajectory(client_id: int, *, window: int = TREND_WINDOW, last: int | None = None):
    """Everything the trajectory page shows: four statements in one round trip."""
    now = timezone.now()
    # The first session shown: all of them, or the last `last` ones.
    first = (
        "(CASE WHEN %(last)s = 0 THEN 1 ELSE GREATEST(1, (SELECT COALESCE(max(seq), 0) "
        "FROM dashboards_sessionrollup WHERE client_id = %(c)s) - %(last)s + 1) END)"
    )
    params = {"c": client_id, "w": window, "last": last or 0, "now": now}
    bounds_sql = """
        SELECT COALESCE(max(seq), 0) AS last_seq,
               (SELECT refreshed_at FROM dashboards_clientsummary WHERE client_id = %(c)s)
                   AS refreshed_at,
               (SELECT regr_slope(composite, k) FROM (
                    SELECT composite, row_number() OVER (ORDER BY seq) AS k FROM (
                        SELECT composite, seq FROM dashboards_sessionrollup
                        WHERE client_id = %(c)s AND composite IS NOT NULL
                        ORDER BY seq DESC LIMIT %(w)s) a) b) AS slope,
               (SELECT count(*) FROM (
                    SELECT 1 FROM dashboards_sessionrollup
                    WHERE client_id = %(c)s AND composite IS NOT NULL
                    ORDER BY seq DESC LIMIT %(w)s) a) AS n
        FROM dashboards_sessionrollup WHERE client_id = %(c)s
        """
    sessions_sql = f"""
        SELECT sr.seq, sr.starts_at, sr.composite, sr.composite_n, sr.hyper, sr.within,
               sr.hypo, sr.matches, sr.mismatches, sr.attune_repairs, sr.ruptures,
               sr.own_within, sr.own_outside, sr.coreg_settled, sr.coreg_unsettled,
               sr.links, s.code
        FROM dashboards_sessionrollup sr
        JOIN therapy_sessions_therapysession s ON s.id = sr.session_id
        WHERE sr.client_id = %(c)s AND sr.seq >= {first}
        ORDER BY sr.seq
        """
    # One row per indicator, its values as arrays in session order (the database does the
    # pivot; Python only places each value at its session's position).
    ratings_sql = f"""
        SELECT i.id AS indicator_id, i.code, i.label, i."group", i.in_composite,
               i.scale_min, i.scale_max, i.instrument_status,
               array_agg(sr.seq ORDER BY sr.seq) AS seqs,
               array_agg(r.value ORDER BY sr.seq) AS vals
        FROM dashboards_sessionrollup sr
        JOIN therapy_sessions_integrationrating r ON r.session_id = sr.session_id
        JOIN therapy_sessions_integrationindicator i ON i.id = r.indicator_id
        WHERE sr.client_id = %(c)s AND sr.seq >= {first}
        GROUP BY i.id
        ORDER BY i.sort_order, i.id
        """
    # Time to repair: minutes within a session, otherwise hours between the two moments;
    # sessions_later counts the client's attended sessions in between (0 = same session).
    ruptures_sql = f"""
        SELECT ru.code, ru.rupture_type, ru.minute, s.starts_at AS session_at,
               s.starts_at + ru.minute * interval '1 minute' AS at, ss.seq,
               rp.code AS repair_code, rps.starts_at AS repair_session_at,
               rps.starts_at + rp.minute * interval '1 minute' AS repaired_at,
               rs.seq AS repair_seq,
               extract(epoch FROM (rps.starts_at + rp.minute * interval '1 minute')
                   - (s.starts_at + ru.minute * interval '1 minute')) / 3600.0 AS hours,
               rs.seq - ss.seq AS sessions_later,
               extract(epoch FROM %(now)s - s.starts_at) / 86400.0 AS age_days
        FROM therapy_sessions_ruptureevent ru
        JOIN therapy_sessions_therapysession s ON s.id = ru.session_id
        LEFT JOIN dashboards_sessionrollup ss ON ss.session_id = ru.session_id
        LEFT JOIN therapy_sessions_repairevent rp ON rp.rupture_id = ru.id
        LEFT JOIN therapy_sessions_therapysession rps ON rps.id = rp.session_id
        LEFT JOIN dashboards_sessionrollup rs ON rs.session_id = rp.session_id
        WHERE ru.client_id = %(c)s AND (ss.seq IS NULL OR ss.seq >= {first}
                                        OR rp.id IS NULL)
        ORDER BY s.starts_at, ru.minute
        """
    # PHQ-9 and GAD-7 totals (never the answers) from the first session shown on.
    measures_sql = f"""
        SELECT a.instrument, a.total, a.band, a.unanswered, a.completed_at,
               s.code AS session_code
        FROM measures_administration a
        LEFT JOIN therapy_sessions_therapysession s ON s.id = a.session_id
        WHERE a.client_id = %(c)s
          AND (%(last)s = 0 OR a.completed_at >= COALESCE(
               (SELECT starts_at FROM dashboards_sessionrollup
                WHERE client_id = %(c)s AND seq = {first}), '-infinity'))
        ORDER BY a.completed_at, a.id
        """
    [bounds], sessions, ratings, ruptures, measures = _multi(
        [bounds_sql, sessions_sql, ratings_sql, ruptures_sql, measures_sql], params
    )
    first_seq = max(1, bounds["last_seq"] - last + 1) if last else 1
    by_seq = {row["seq"]: i for i, row in enumerate(sessions)}
    indicators: dict[int, dict] = {}
    for row in ratings:
        values: list[int | None] = [None] * len(sessions)
        for seq, value in zip(row["seqs"], row["vals"], strict=True):
            if seq in by_seq:
                values[by_seq[seq]] = value
        indicators[row["indicator_id"]] = {
            "id": row["indicator_id"],
            "code": row["code"],
            "label": row["label"],
            "group": row["group"],
            "in_composite": row["in_composite"]
            and Scale(row["scale_min"], row["scale_max"]) == COMPOSITE_SCALE,
            "instrument_status": row["instrument_status"],
            "scale": [row["scale_min"], row["scale_max"]],
            "values": values,
        }
    ordered = list(indicators.values())
    tz = timezone.get_current_timezone()  # practice-local dates, the zone read once
    for k, row in enumerate(sessions):
        row["values"] = [ind["values"][k] for ind in ordered]
        observed = row["hyper"] + row["within"] + row["hypo"]
        row["observed"] = observed
        for zone in ("hyper", "within", "hypo"):
            row[f"{zone}_share"] = row[zone] / observed if observed else None
        row["repair_rate"] = (
            row["attune_repairs"] / row["mismatches"] if row["mismatches"] else None
        )
        # Pre-formatted cells of the data tables (templates/jinja2/dashboards/_numeric_rows.html).
        row["date_label"], row["date_iso"] = _day_labels(
            row["starts_at"].astimezone(tz).date()
        )
        row["indicator_cells"] = [_fmt(row["composite"], 2)] + [
            "–" if v is None else str(v) for v in row["values"]
        ]
        row["zone_cells"] = [str(observed)] + [
            _pct(row[f"{zone}_share"]) for zone in ("hyper", "within", "hypo")
        ]
        row["attune_cells"] = [
            str(row["matches"]),
            str(row["mismatches"]),
            str(row["attune_repairs"]),
            _fmt(row["repair_rate"], 2),
        ]
        own = row["own_within"] + row["own_outside"]
        row["own_within_share"] = row["own_within"] / own if own else None
        row["coreg_cells"] = [
            str(row["coreg_settled"]),
            str(row["coreg_unsettled"]),
            _pct(row["within_share"]),
            _pct(row["own_within_share"]),
            str(row["links"]),
        ]
    for row in ruptures:
        row["open"] = row["repair_code"] is None
        row["open_long"] = row["open"] and row["age_days"] > RUPTURE_OPEN_DAYS
        row["same_session"] = row["sessions_later"] == 0
        rupture_labels(row, tz)
    repaired = [r for r in ruptures if not r["open"]]
    mismatches = sum(r["mismatches"] for r in sessions)
    repairs = sum(r["attune_repairs"] for r in sessions)
    totals = {
        "ruptures": len(ruptures),
        "open": sum(1 for r in ruptures if r["open"]),
        "repaired_same": sum(1 for r in repaired if r["same_session"]),
        "matches": sum(r["matches"] for r in sessions),
        "mismatches": mismatches,
        "attune_repairs": repairs,
        "repair_rate": repairs / mismatches if mismatches else None,
        # As Django's |floatformat:2 prints it (half up), for the attunement's summary.
        "repair_rate_label": floatformat(repairs / mismatches, 2) if mismatches else "",
        "coreg_settled": sum(r["coreg_settled"] for r in sessions),
        "coreg": sum(r["coreg_settled"] + r["coreg_unsettled"] for r in sessions),
        "links": sum(r["links"] for r in sessions),
    }
    for row in measures:
        spec = MEASURE_INSTRUMENTS[row["instrument"]]
        row["name"] = spec.name
        row["date_label"], row["date_iso"] = _day_labels(
            row["completed_at"].astimezone(tz).date()
        )
        row["band_label"] = spec.band_label(row["band"]) if row["band"] else ""
        row["why_no_total"] = (
            ""
            if row["total"] is not None
            else f"{row['unanswered']} item{'s' if row['unanswered'] != 1 else ''} "
            "unanswered: the total is not computed"
        )
    return Trajectory(
        sessions=sessions,
        indicators=ordered,
        ruptures=ruptures,
        trend=Trend(bounds["slope"], bounds["n"]),
        window=window,
        refreshed_at=bounds["refreshed_at"],
        first_seq=first_seq,
        totals=totals,
        measures=measures,
    )


@lru_cache(maxsize=4096)
def _day_labels(day: date) -> tuple[str, str]:
    """A practice-local day as the trajectory's tables print it and its charts read it."""
    return day.strftime("%b %-d, %Y"), day.isoformat()


def rupture_labels(row: dict, tz=None) -> dict:
    """A rupture's practice-local days (the charts' x axis) and the moments, age and time to
    repair its table prints (templates/jinja2/dashboards/_rupture_rows.html), formatted once."""
    tz = tz or timezone.get_current_timezone()
    for key, at in (
        ("session", row["session_at"]),
        ("repair", row["repair_session_at"]),
    ):
        row[f"{key}_day"] = at.astimezone(tz).date().isoformat() if at else None
    for key, at in (("at", row["at"]), ("repaired", row["repaired_at"])):
        row[f"{key}_label"] = (
            at.astimezone(tz).strftime("%b %-d, %Y %H:%M") if at is not None else ""
        )
    # An open rupture's age in whole days; a repaired one's time to repair.
    # (Through float, as the template's "%.0f"|format printed them: the figures are numeric.)
    row["age_label"] = f"{float(row['age_days']):.0f}" if row["open"] else ""
    row["repair_time_label"] = "" if row["open"] else repair_time_label(row)
    return row


def repair_time_label(row: dict) -> str:
    """'25 min, same session', '170 h, 1 session later', or '170 h' when the sessions in
    between are not known."""
    if row["same_session"]:
        return f"{float(row['hours'] * 60):.0f} min, same session"
    if row["sessions_later"] is not None:
        later = row["sessions_later"]
        plural = "s" if later != 1 else ""
        return f"{float(row['hours']):.0f} h, {later} session{plural} later"
    return f"{float(row['hours']):.0f} h"


def timeline_chart(data: Trajectory) -> dict:
    """The chart of the composite, the PHQ-9 and GAD-7 totals and the ruptures on one time
    axis: the practice-local dates of the sessions, administrations and ruptures shown, each
    series placed at its dates (None elsewhere). Bands come from the instruments' registry."""
    first = data.sessions[0]["date_iso"] if data.sessions else None
    days = {s["date_iso"] for s in data.sessions} | {
        m["date_iso"] for m in data.measures
    }
    rupture_days = [
        (r, r["session_day"])
        for r in data.ruptures
        if first is None or r["session_day"] >= first
    ]
    days |= {day for _, day in rupture_days}
    labels = sorted(days)
    at = {day: i for i, day in enumerate(labels)}
    composite: list[float | None] = [None] * len(labels)
    for s in data.sessions:
        if s["composite"] is not None:
            composite[at[s["date_iso"]]] = round(s["composite"], 3)
    series = {
        spec["code"]: [None] * len(labels)
        for spec in measure_reports.chart_instruments()
    }
    for m in data.measures:
        if m["total"] is not None:
            series[m["instrument"]][at[m["date_iso"]]] = m["total"]
    return {
        "labels": labels,
        "composite": composite,
        "composite_scale": [COMPOSITE_SCALE.low, COMPOSITE_SCALE.high],
        "instruments": [
            {**spec, "values": series[spec["code"]]}
            for spec in measure_reports.chart_instruments()
            if any(v is not None for v in series[spec["code"]])
        ],
        "ruptures": [
            {"at": day, "open": r["open"], "type": r["rupture_type"]}
            for r, day in rupture_days
        ],
    }


# --- The caseload ----------------------------------------------------------------------------


def caseload(therapist_id: int, *, include_inactive: bool = False) -> list[dict]:
    """The clinician's current caseload with the figures and flags of the caseload table."""
    return caseload_page(therapist_id, include_inactive=include_inactive)[0]


def caseload_page(
    therapist_id: int, *, include_inactive: bool = False
) -> tuple[list[dict], Composite]:
    """The caseload rows and the composite's members, in one round trip."""
    now = timezone.now()
    today = timezone.localdate()
    rows, members = _multi(
        [
            """
        SELECT c.id, c.code, c.legal_name, c.preferred_name, c.status, a.role,
               cs.sessions_attended, cs.recent_composites, cs.trend_slope, cs.trend_n,
               cs.open_ruptures, cs.open_rupture_at[1] AS oldest_open_at,
               cs.refreshed_at, nx.starts_at AS next_at, ls.starts_at AS last_at,
               COALESCE(un.unsigned, 0) + COALESCE(nn.missing, 0) AS unsigned,
               COALESCE(un.late, 0) + COALESCE(nn.late, 0) AS late, cm.measures
        FROM clients_caseassignment a
        JOIN clients_client c ON c.id = a.client_id
        LEFT JOIN dashboards_clientsummary cs ON cs.client_id = c.id
        LEFT JOIN LATERAL (
            SELECT json_agg(json_build_object(
                       'instrument', m.instrument, 'scored', m.scored,
                       'first_total', m.first_total, 'last_total', m.last_total))
                   AS measures
            FROM dashboards_clientmeasure m WHERE m.client_id = c.id) cm ON true
        -- The next scheduled session: the client's sessions after now in order, by the
        -- client-and-start index, the first scheduled one (the status is checked outside the
        -- OFFSET 0 subquery: inside, the generic plan intersected the index with every
        -- future scheduled session of the practice, once per client).
        LEFT JOIN LATERAL (
            SELECT starts_at FROM (
                SELECT starts_at, status FROM therapy_sessions_therapysession
                WHERE client_id = c.id AND starts_at > %(now)s
                ORDER BY starts_at OFFSET 0) f
            WHERE status = 'SCHEDULED'
            ORDER BY starts_at LIMIT 1) nx ON true
        LEFT JOIN LATERAL (
            SELECT starts_at FROM therapy_sessions_therapysession
            WHERE client_id = c.id AND starts_at <= %(now)s AND status = 'ATTENDED'
            ORDER BY starts_at DESC LIMIT 1) ls ON true
        LEFT JOIN LATERAL (
            SELECT count(*) AS unsigned,
                   count(*) FILTER (WHERE s.starts_at + (s.duration_minutes
                       + %(late_h)s * 60) * interval '1 minute' < %(now)s) AS late
            FROM therapy_sessions_progressnote n
            JOIN therapy_sessions_therapysession s ON s.id = n.session_id
            WHERE n.client_id = c.id AND n.signed_at IS NULL
              AND n.status IN ('DRAFT', 'RETURNED')) un ON true
        -- Attended sessions of the last 90 days without any note, for this clinician: one
        -- range scan of the clinician's sessions instead of one probe per client.
        LEFT JOIN (
            SELECT s.client_id, count(*) AS missing,
                   count(*) FILTER (WHERE s.starts_at + (s.duration_minutes
                       + %(late_h)s * 60) * interval '1 minute' < %(now)s) AS late
            FROM therapy_sessions_therapysession s
            WHERE s.therapist_id = %(t)s AND s.status = 'ATTENDED' AND NOT s.has_note
              AND s.starts_at >= %(recent)s AND s.starts_at <= %(now)s
            GROUP BY s.client_id) nn ON nn.client_id = c.id
        WHERE a.therapist_id = %(t)s AND a.started_on <= %(today)s
          AND (a.ended_at IS NULL OR a.ended_at > %(now)s)
          AND (%(all)s OR c.status = 'ACTIVE')
        """,
            COMPOSITE_MEMBERS_SQL,
        ],
        {
            "t": therapist_id,
            "now": now,
            "today": today,
            "recent": now - timedelta(days=MISSING_NOTE_DAYS),
            "late_h": note_late_hours(),
            "all": include_inactive,
            **COMPOSITE_PARAMS,
        },
    )
    tz = timezone.get_current_timezone()
    for row in rows:
        trend = Trend(row["trend_slope"], row["trend_n"] or 0)
        row["trend"] = trend
        row["name"] = row["preferred_name"] or row["legal_name"]
        row["sessions_attended"] = row["sessions_attended"] or 0
        row["open_ruptures"] = row["open_ruptures"] or 0
        row["oldest_open_days"] = (
            (now - row["oldest_open_at"]).days if row["oldest_open_at"] else None
        )
        row["days_since"] = (now - row["last_at"]).days if row["last_at"] else None
        row["sparkline"] = sparkline(row["recent_composites"] or [])
        flags = []
        if trend.declining:
            flags.append("Declining trend")
        if (row["oldest_open_days"] or 0) > RUPTURE_OPEN_DAYS:
            flags.append(f"Rupture open > {RUPTURE_OPEN_DAYS} days")
        if row["days_since"] is None or row["days_since"] > NO_SESSION_DAYS:
            flags.append(f"No session in {NO_SESSION_DAYS} days")
        if row["late"]:
            flags.append("Note late")
        # Reliable change (measures.change, through measures.reports) from the rollup's
        # first and latest PHQ-9 and GAD-7 totals.
        row["outcome"] = _outcome(
            tuple(
                sorted(
                    (m["instrument"], m["first_total"], m["last_total"])
                    for m in row["measures"] or ()
                    if (m.get("scored") or 0) >= 2
                )
            )
        )
        flags.extend(measure_reports.flags(row["outcome"], row["sessions_attended"]))
        row["flags"] = flags
        caseload_labels(row, tz)
    return rows, Composite(members)


def caseload_labels(row: dict, tz=None) -> dict:
    """The caseload table's dates and trend as its rows print them, formatted once per row
    (templates/jinja2/dashboards/_caseload_rows.html): the practice-local time of the last
    and next sessions, the trend's direction and its signed change."""
    tz = tz or timezone.get_current_timezone()
    for key in ("last", "next"):
        at = row[f"{key}_at"]
        local = at.astimezone(tz) if at is not None else None
        row[f"{key}_iso"] = local.isoformat() if local else ""
        row[f"{key}_label"] = (
            local.strftime("%b %-d" if key == "last" else "%b %-d, %H:%M")
            if local
            else ""
        )
    trend = row["trend"]
    row["direction"] = direction = trend.direction
    # + 0.0 turns a rounded -0.0 into 0.0.
    row["change_label"] = (
        "" if direction == "none" else f"{round(trend.change, 1) + 0.0:+.1f}"
    )
    return row


def sparkline(
    values: list[float],
    *,
    width: int = 96,
    height: int = 24,
    scale: Scale = COMPOSITE_SCALE,
) -> dict:
    """Points of an inline SVG polyline on the composite's scale, built on the server: no
    script, no style."""
    if not values:
        return {"points": "", "width": width, "height": height}
    step = width / max(1, len(values) - 1)
    low, span = float(scale.low), float(scale.span)
    points = " ".join(
        f"{i * step:.1f},"
        f"{height - 2 - ((min(scale.high, max(low, v)) - low) / span) * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    return {
        "points": points,
        "width": width,
        "height": height,
        "label": ", ".join(f"{v:.1f}" for v in values),
    }


# --- The supervisor's view -------------------------------------------------------------------


def weeks_back(n: int = HISTORY_WEEKS, *, today: date | None = None) -> list[date]:
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=k) for k in range(n - 1, -1, -1)]


def supervision(supervisor_id: int, supervisee_ids: list[int]) -> list[dict]:
    """Per supervisee: headline figures over SUMMARY_WEEKS and weekly series over 26 weeks."""
    return supervision_page(supervisor_id, supervisee_ids)[0]


def supervision_page(
    supervisor_id: int, supervisee_ids: list[int]
) -> tuple[list[dict], Composite]:
    """The supervision rows and the composite's members (its "declining"), one round trip."""
    from dashboards.services import SUMMARY_WEEKS

    if not supervisee_ids:
        return [], Composite([])
    now = timezone.now()
    today = timezone.localdate()
    weeks = weeks_back()
    params = {
        "ids": supervisee_ids,
        "sup": supervisor_id,
        "today": today,
        "now": now,
        "first": weeks[0],
        "recent": weeks[-SUMMARY_WEEKS],
        "old": now - timedelta(days=RUPTURE_OPEN_DAYS),
        "threshold": trend_threshold(COMPOSITE_SCALE),
        "missing": now - timedelta(days=MISSING_NOTE_DAYS),
        "late_h": note_late_hours(),
        **COMPOSITE_PARAMS,
    }
    people_sql = """
        SELECT u.id, u.code, u.full_name, u.credentials,
               (SELECT count(*) FROM therapy_sessions_progressnote n
                WHERE n.author_id = u.id AND n.status = 'AWAITING_COSIGNATURE'
                  AND EXISTS (SELECT 1 FROM accounts_supervision l
                              WHERE l.supervisor_id = %(sup)s AND l.supervisee_id = u.id
                                AND l.requires_cosignature AND l.started_on <= %(today)s
                                AND (l.ended_at IS NULL OR l.ended_at > %(now)s)))
                   AS cosign_queue,
               ts.lag_median_hours, ts.notes_signed AS s_signed, ts.notes_late AS s_late,
               ts.repair_median_hours, ts.refreshed_at,
               COALESCE(cl.active_clients, 0) AS active_clients, cl.declining, cl.open_old,
               cl.open_all, COALESCE(lt.late_now, 0) AS late_now
        FROM accounts_user u
        LEFT JOIN dashboards_therapistsummary ts ON ts.therapist_id = u.id
        -- One pass over the supervisee's current caseload (tens of rows, by index).
        LEFT JOIN LATERAL (
            SELECT count(*) AS active_clients,
                   count(*) FILTER (
                       WHERE cs.trend_n >= 3
                         AND cs.trend_slope * (cs.trend_n - 1) <= -%(threshold)s)
                       AS declining,
                   COALESCE(sum((SELECT count(*) FROM unnest(cs.open_rupture_at) AS t
                                 WHERE t < %(old)s)), 0) AS open_old,
                   COALESCE(sum(cardinality(cs.open_rupture_at)), 0) AS open_all
            FROM clients_caseassignment a
            -- OFFSET 0 keeps this a per-row index probe instead of a scan of every client.
            JOIN LATERAL (SELECT 1 FROM clients_client c
                          WHERE c.id = a.client_id AND c.status = 'ACTIVE' OFFSET 0) c
              ON true
            LEFT JOIN LATERAL (
                SELECT trend_n, trend_slope, open_rupture_at FROM dashboards_clientsummary
                WHERE client_id = a.client_id OFFSET 0) cs ON true
            WHERE a.therapist_id = u.id AND a.started_on <= %(today)s
              AND (a.ended_at IS NULL OR a.ended_at > %(now)s)) cl ON true
        -- Notes late now: attended sessions past the practice's late threshold whose note is
        -- missing, a draft or returned (the caseload's "late", per clinician). Missing: the
        -- sessions without a note, by their partial index; a draft or returned: the notes
        -- still being written, by theirs. One pass for every supervisee.
        LEFT JOIN (
            SELECT therapist_id, sum(n)::bigint AS late_now FROM (
                SELECT s.therapist_id, count(*) AS n
                FROM therapy_sessions_therapysession s
                WHERE s.therapist_id = ANY(%(ids)s)
                  AND s.status = 'ATTENDED' AND NOT s.has_note
                  AND s.starts_at >= %(missing)s
                  AND s.starts_at + (s.duration_minutes + %(late_h)s * 60)
                      * interval '1 minute' < %(now)s
                GROUP BY s.therapist_id
                UNION ALL
                SELECT s.therapist_id, count(*)
                FROM therapy_sessions_therapysession s
                WHERE s.id = ANY(ARRAY(
                        SELECT p.session_id FROM therapy_sessions_progressnote p
                        WHERE p.status IN ('DRAFT', 'RETURNED')))
                  AND s.therapist_id = ANY(%(ids)s) AND s.status = 'ATTENDED'
                  AND s.starts_at >= %(missing)s
                  AND s.starts_at + (s.duration_minutes + %(late_h)s * 60)
                      * interval '1 minute' < %(now)s
                GROUP BY s.therapist_id) parts
            GROUP BY therapist_id) lt ON lt.therapist_id = u.id
        WHERE u.id = ANY(%(ids)s)
        ORDER BY u.full_name, u.id
        """
    # The first and latest PHQ-9 and GAD-7 totals of each current active client, of the
    # instruments with two or more scored totals (the only ones reliable change reads).
    measures_sql = """
        SELECT a.therapist_id, a.client_id, m.instrument, m.first_total, m.last_total
        FROM clients_caseassignment a
        -- OFFSET 0: probes of each assigned client by its key (about a hundred), not scans
        -- of every client and every client's measures.
        JOIN LATERAL (SELECT 1 FROM clients_client c
                      WHERE c.id = a.client_id AND c.status = 'ACTIVE' OFFSET 0) c ON true
        JOIN LATERAL (SELECT instrument, first_total, last_total
                      FROM dashboards_clientmeasure
                      WHERE client_id = a.client_id AND scored >= 2 OFFSET 0) m ON true
        WHERE a.therapist_id = ANY(%(ids)s) AND a.started_on <= %(today)s
          AND (a.ended_at IS NULL OR a.ended_at > %(now)s)
        """
    weekly_sql = """
        SELECT therapist_id, week, sessions, notes_signed, notes_late, lag_median_hours,
               ruptures, repaired_same_session, repaired_within_two, repair_median_hours
        FROM dashboards_therapistweek
        WHERE therapist_id = ANY(%(ids)s) AND week >= %(first)s
        ORDER BY therapist_id, week
        """
    # The weekly and measure rows stay tuples (their columns are read by position below).
    people, (_, weekly), members, (_, measures) = batch.run(
        [(sql, params) for sql in (people_sql, weekly_sql, COMPOSITE_MEMBERS_SQL)]
        + [(measures_sql, params)]
    )
    people = [dict(zip(people[0], row, strict=True)) for row in people[1]]
    members = [dict(zip(members[0], row, strict=True)) for row in members[1]]
    by_client: dict[tuple[int, int], list[tuple]] = {}
    for therapist_id, client_id, instrument, first_total, last_total in measures:
        by_client.setdefault((therapist_id, client_id), []).append(
            (instrument, first_total, last_total)
        )
    # Per supervisee: clients measured, reliably improved, reliably deteriorated.
    verdicts: dict[int, list[int]] = {}
    for (therapist_id, _), pairs in by_client.items():
        measured, improved, deteriorated = _verdict(tuple(sorted(pairs)))
        if measured:
            counts = verdicts.setdefault(therapist_id, [0, 0, 0])
            counts[0] += 1
            counts[1] += improved
            counts[2] += deteriorated
    by_person: dict[int, dict[date, tuple]] = {}
    for row in weekly:
        by_person.setdefault(row[0], {})[row[1]] = row
    recent_weeks = weeks[-SUMMARY_WEEKS:]
    week_labels = [w.strftime("%b %-d, %Y") for w in weeks]
    for person in people:
        mine = by_person.get(person["id"], {})
        recent = [mine[w] for w in recent_weeks if w in mine]
        # Columns of weekly_sql: therapist_id, week, sessions, notes_signed, notes_late,
        # lag_median_hours, ruptures, repaired_same_session, repaired_within_two.
        sessions = sum(r[2] for r in recent)
        ruptures = sum(r[6] for r in recent)
        person["sessions_per_week"] = sessions / len(recent_weeks)
        person["late_share"] = (
            person["s_late"] / person["s_signed"] if person["s_signed"] else None
        )
        person["ruptures_per_10"] = ruptures / sessions * 10 if sessions else None
        person["repaired_same_share"] = (
            sum(r[7] for r in recent) / ruptures if ruptures else None
        )
        person["repaired_two_share"] = (
            sum(r[8] for r in recent) / ruptures if ruptures else None
        )
        person["repair_median_label"] = duration_label(person["repair_median_hours"])
        supervision_labels(person)
        person["declining"] = person["declining"] or 0
        person["open_old"] = person["open_old"] or 0
        person["open_all"] = person["open_all"] or 0
        measured, improved, deteriorated = verdicts.get(person["id"], (0, 0, 0))
        # As measures.reports.shares counts them.
        person["change"] = {
            "measured": measured,
            "improved": improved,
            "deteriorated": deteriorated,
            "improved_share": improved / measured if measured else None,
            "deteriorated_share": deteriorated / measured if measured else None,
        }
        person["improved_pct"] = _percent(person["change"]["improved_share"])
        person["deteriorated_pct"] = _percent(person["change"]["deteriorated_share"])
        series_weeks = []
        sessions_line, lag_line, per_10_line, same_line = [], [], [], []
        for w, label in zip(weeks, week_labels, strict=True):
            r = mine.get(w)
            if r is None:
                n, lag, per_10, same = 0, None, None, None
            else:
                n, lag, week_ruptures = r[2], r[5], r[6]
                per_10 = week_ruptures / n * 10 if n else None
                same = r[7] / week_ruptures if week_ruptures else None
            sessions_line.append(n)
            lag_line.append(lag)
            per_10_line.append(per_10)
            same_line.append(same)
            series_weeks.append(
                {
                    "week": w,
                    "sessions": n,
                    "lag": lag,
                    "ruptures_per_10": per_10,
                    "repaired_same": same,
                    "cells": [str(n), _fmt(lag, 1), _fmt(per_10, 1), _pct(same)],
                    "label": label,
                }
            )
        person["weeks"] = series_weeks
        person["multiples"] = [
            ("Sessions", sparkline_scaled(sessions_line)),
            ("Median documentation lag (h)", sparkline_scaled(lag_line)),
            ("Ruptures per 10 sessions", sparkline_scaled(per_10_line)),
            (
                "Share repaired in the same session",
                sparkline_scaled(same_line, top=1.0),
            ),
        ]
    people.sort(key=lambda p: p["full_name"])
    people.sort(key=concern_key)
    return people, Composite(members)


@lru_cache(maxsize=4096)
def _outcome(pairs: tuple[tuple[str, int, int], ...]) -> measure_reports.Outcome:
    """measures.reports.outcome of one client from its (instrument, first total, latest
    total) with two or more scored totals: the same totals give the same (frozen) outcome,
    so each is worked out once per process."""
    return measure_reports.outcome(
        [
            {"instrument": i, "scored": 2, "first_total": first, "last_total": last}
            for i, first, last in pairs
        ]
    )


@lru_cache(maxsize=4096)
def _verdict(pairs: tuple[tuple[str, int, int], ...]) -> tuple[bool, bool, bool]:
    """(measured, reliably improved, reliably deteriorated) of one client, as
    measures.reports.outcome decides them (see _outcome)."""
    result = _outcome(pairs)
    return result.measured, result.improved, result.deteriorated


_TENTH = Decimal("0.1")


def _floatformat1(value) -> str:
    """Django's |floatformat:1 (half up, no "-0.0", no grouping in this locale) for the
    ordinary figures of the supervision summary, without its localisation machinery."""
    if not isinstance(value, (int, float)) or not -1e15 < value < 1e15:
        return floatformat(value, 1)
    rounded = Decimal(str(value)).quantize(_TENTH, ROUND_HALF_UP)
    return str(rounded if rounded else abs(rounded))


def supervision_labels(person: dict) -> dict:
    """The supervision summary's figures as its cells print them, formatted once
    (templates/jinja2/dashboards/_supervision_rows.html): as Django's |floatformat:1 (half
    up) and {% widthratio share 1 100 %}% printed them, "–" where there is no figure."""
    lag = person["lag_median_hours"]
    per_10 = person["ruptures_per_10"]
    person["sessions_per_week_label"] = _floatformat1(person["sessions_per_week"])
    person["lag_median_label"] = "–" if lag is None else f"{_floatformat1(lag)} h"
    person["late_share_label"] = _widthratio_pct(person["late_share"])
    person["ruptures_per_10_label"] = "–" if per_10 is None else _floatformat1(per_10)
    person["repaired_same_label"] = _widthratio_pct(person["repaired_same_share"])
    person["repaired_two_label"] = _widthratio_pct(person["repaired_two_share"])
    return person


# Supervisees are ordered by concern: these figures, compared in this order (most first).
CONCERN_ORDER = (
    ("open_old", f"unrepaired ruptures older than {RUPTURE_OPEN_DAYS} days"),
    ("declining", "clients declining"),
    ("late_now", "notes late"),
    ("cosign_queue", "notes awaiting co-signature"),
)


def concern_key(person: dict) -> tuple:
    return tuple(-(person[name] or 0) for name, _ in CONCERN_ORDER)


def concern_statement() -> str:
    return (
        "Ordered by concern: "
        + ", then ".join(label for _, label in CONCERN_ORDER)
        + "."
    )


def open_ruptures(therapist_id: int) -> list[dict]:
    """The unrepaired ruptures of a clinician's current clients, oldest first: one
    statement. Each row has its session's code (the link) and its age in days."""
    now = timezone.now()
    rows = _rows(
        """
        SELECT ru.code, ru.rupture_type, ru.minute, s.code AS session_code,
               s.starts_at AS session_at, c.code AS client_code, c.legal_name,
               c.preferred_name,
               extract(epoch FROM %(now)s - s.starts_at) / 86400.0 AS age_days
        FROM clients_caseassignment a
        JOIN clients_client c ON c.id = a.client_id
        JOIN therapy_sessions_ruptureevent ru ON ru.client_id = c.id
        JOIN therapy_sessions_therapysession s ON s.id = ru.session_id
        WHERE a.therapist_id = %(t)s AND a.started_on <= %(today)s AND c.status = 'ACTIVE'
          AND (a.ended_at IS NULL OR a.ended_at > %(now)s)
          AND NOT ru.repaired
        ORDER BY s.starts_at, ru.minute, ru.id
        """,
        {"t": therapist_id, "now": now, "today": timezone.localdate()},
    )
    for row in rows:
        row["name"] = row["preferred_name"] or row["legal_name"]
        row["open_long"] = row["age_days"] > RUPTURE_OPEN_DAYS
        row["days"] = int(row["age_days"])
    return rows


@lru_cache(maxsize=64)
def _sparkline_xs(width: int, n: int) -> tuple[str, ...]:
    """The x coordinates of n points across a small multiple, each with its comma."""
    step = width / max(1, n - 1)
    return tuple(f"{i * step:.1f}," for i in range(n))


def sparkline_scaled(
    values: list[float | None], *, width: int = 150, height: int = 40, top=None
) -> dict:
    """A small-multiple line: gaps where a week has no value, scaled to its own maximum."""
    known = [v for v in values if v is not None]
    top = top or (max(known) if known else 1) or 1
    xs = _sparkline_xs(width, len(values))
    segments, current = [], []
    inner = height - 4
    for x, v in zip(xs, values, strict=True):
        if v is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        y = height - 2 - (min(v, top) / top) * inner
        current.append(f"{x}{y:.1f}")
    if current:
        segments.append(" ".join(current))
    return {
        "segments": segments,
        "width": width,
        "height": height,
        "top": f"{top:.1f}",
        "axis": height - 2,
    }


# --- The practice admin's view ---------------------------------------------------------------


def practice_counts() -> dict:
    """Counts without clinical content: people, second factors, supervision links, volume."""
    from django.apps import apps

    now = timezone.now()
    weeks = weeks_back()
    statements = [
        """
        SELECT role, count(*) FILTER (WHERE is_active) AS active,
               count(*) FILTER (WHERE NOT is_active) AS deactivated,
               count(*) FILTER (WHERE is_active AND (last_login IS NULL
                                OR last_login < %(idle)s)) AS dormant,
               (SELECT count(*) FROM accounts_supervision WHERE ended_at IS NULL)
                   AS open_links
        FROM accounts_user GROUP BY role ORDER BY role
        """,
        """
        SELECT week, sum(notes_signed) AS documented, sum(sessions) AS sessions
        FROM dashboards_therapistweek WHERE week >= %(first)s
        GROUP BY week ORDER BY week
        """,
        "SELECT max(refreshed_at) AS at FROM dashboards_therapistsummary",
    ]
    mfa_installed = apps.is_installed("allauth.mfa")
    if mfa_installed:
        statements.append(
            """
            SELECT u.role, count(DISTINCT u.id) AS n FROM accounts_user u
            JOIN mfa_authenticator m ON m.user_id = u.id
            WHERE u.is_active GROUP BY u.role
            """
        )
    results = _multi(statements, {"idle": now - timedelta(days=90), "first": weeks[0]})
    people, weekly, [fresh_row] = results[:3]
    enrolled = results[3] if mfa_installed else []
    fresh = fresh_row["at"]
    by_week = {r["week"]: r for r in weekly}
    enrolled_by_role = {r["role"]: r["n"] for r in enrolled}
    for row in people:
        row["mfa"] = enrolled_by_role.get(row["role"], 0)
    return {
        "people": people,
        "mfa_installed": mfa_installed,
        "open_links": people[0]["open_links"] if people else 0,
        "weeks": [
            {
                "week": w,
                "documented": int(by_week[w]["documented"]) if w in by_week else 0,
                "sessions": int(by_week[w]["sessions"]) if w in by_week else 0,
            }
            for w in weeks
        ],
        "refreshed_at": fresh,
    }


# --- The client page's small trajectory ------------------------------------------------------

MINI_WEEKS = 26
MINI_COLORS = {"composite": "#1d232a", "PHQ9": "#a15c00", "GAD7": "#7a3b8f"}


def mini_trajectory_read(client_id: int) -> batch.Raw:
    """mini_trajectory's one statement, for a page's batch (batch.fetch): the composite and
    the PHQ-9 and GAD-7 totals of the last MINI_WEEKS weeks of the client's record, each row
    (series, at, value), oldest first."""
    return batch.Raw(
        """
        WITH pts AS (
            SELECT 'composite' AS series, starts_at AS at, composite AS value
            FROM dashboards_sessionrollup
            WHERE client_id = %(c)s AND composite IS NOT NULL
            UNION ALL
            SELECT instrument, completed_at, total::float
            FROM measures_administration
            WHERE client_id = %(c)s AND total IS NOT NULL
        )
        SELECT series, at, value FROM pts
        WHERE at >= (SELECT max(at) FROM pts) - %(span)s * interval '1 week'
        ORDER BY at
        """,
        {"c": client_id, "span": MINI_WEEKS},
    )


def mini_trajectory(
    client_id: int, *, width: int = 320, height: int = 80, rows: list | None = None
) -> dict:
    """The client page's small chart, in one statement (mini_trajectory_read; `rows`: its
    rows, already read with the page's batch): the composite and the PHQ-9 and GAD-7 totals
    of the last MINI_WEEKS weeks of the client's record, on one time axis. Each line is drawn
    on its own scale (the composite's, each instrument's 0 to its maximum); the points are
    built here, the SVG in templates/jinja2/dashboards/_mini_trajectory.html."""
    if rows is None:
        [rows] = batch.fetch(mini_trajectory_read(client_id))
    if not rows:
        return {"lines": [], "width": width, "height": height}
    start, end = rows[0][1], rows[-1][1]
    seconds = max((end - start).total_seconds(), 1.0)
    scales = {"composite": (float(COMPOSITE_SCALE.low), float(COMPOSITE_SCALE.span))}
    names = {"composite": "Composite (clinician-rated)"}
    for code, spec in MEASURE_INSTRUMENTS.items():
        scales[code] = (0.0, float(spec.max_total))
        names[code] = f"{spec.name} total"
    by_series: dict[str, list[tuple]] = {}
    for row in rows:
        by_series.setdefault(row[0], []).append(row)
    lines = []
    for code, (low, span) in scales.items():
        points = by_series.get(code)
        if not points:
            continue
        high = low + span
        # Each coordinate computed in this order: the points print the same to the digit.
        dots = [
            {
                "x": f"{2 + (at - start).total_seconds() / seconds * (width - 4):.1f}",
                "y": f"{height - 2 - (min(max(value, low), high) - low) / span * (height - 4):.1f}",
            }
            for _series, at, value in points
        ]
        last = points[-1][2]
        lines.append(
            {
                "code": code,
                "label": names[code],
                "color": MINI_COLORS.get(code, "#44546a"),
                "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
                "dots": dots,
                "latest": f"{last:.1f}" if code == "composite" else f"{last:.0f}",
                "scale": f"{low:g} to {high:g}",
                "n": len(points),
            }
        )
    local = timezone.localtime
    return {
        "lines": lines,
        "width": width,
        "height": height,
        "from": local(start).strftime("%b %-d, %Y"),
        "to": local(end).strftime("%b %-d, %Y"),
    }
