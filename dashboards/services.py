"""Contract for the clinical record and the capture panel: call request_rollup(client) after any
note signature or IPNB event change; it refreshes the dashboards' rollups after commit.

The refresh itself is set-based SQL: one statement per rollup table, for one client (and the
clinicians who saw that client) or for the whole practice. Each refresh deletes and re-inserts
the affected rows in one transaction, so running it twice gives the same rows (idempotent), and
readers keep seeing the previous rows until it commits.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ipnb_notes import outbox, practice
from sessions.capture.models import (
    COMPOSITE_SCALE,
    ArousalObservation,
    CoRegulationMoment,
)

logger = logging.getLogger(__name__)

# The trend of the caseload table and the flags: least-squares slope over this many sessions.
TREND_WINDOW = 8
# Clinician summaries (medians) look back this many weeks.
SUMMARY_WEEKS = 12
# Advisory-lock namespaces, so that two refreshes of the same client or clinician queue up.
_LOCK_CLIENT = 61_001
_LOCK_THERAPIST = 61_002


def request_rollup(client) -> None:
    """Queue an idempotent refresh of this client's (and its therapist's) weekly rollups."""
    outbox.enqueue("dashboards.tasks.rollup_refresh_client", client.id)


def request_rollup_for_measure(*, client_id: int) -> None:
    """A PHQ-9 or GAD-7 was stored for this client (dashboards.signals): queue the same
    refresh, after the administration's transaction commits (the outbox)."""
    outbox.enqueue("dashboards.tasks.rollup_refresh_client", client_id)


# --- SQL ------------------------------------------------------------------------------------
# {where_s} narrows to some sessions/clients/clinicians; empty for the full refresh.

_SESSION_ROLLUP = """
INSERT INTO dashboards_sessionrollup (
    session_id, client_id, therapist_id, starts_at, seq, composite, composite_n,
    hyper, within, hypo, matches, mismatches, attune_repairs, ruptures,
    own_within, own_outside, coreg_settled, coreg_unsettled, links)
SELECT s.id, s.client_id, s.therapist_id, s.starts_at,
       row_number() OVER (PARTITION BY s.client_id ORDER BY s.starts_at, s.id),
       r.composite, COALESCE(r.n, 0),
       COALESCE(a.hyper, 0), COALESCE(a.within, 0), COALESCE(a.hypo, 0),
       COALESCE(m.matches, 0), COALESCE(m.mismatches, 0), COALESCE(m.repairs, 0),
       COALESCE(ru.n, 0),
       COALESCE(o.within, 0), COALESCE(o.outside, 0),
       COALESCE(cr.settled, 0), COALESCE(cr.unsettled, 0), COALESCE(li.n, 0)
FROM therapy_sessions_therapysession s
LEFT JOIN LATERAL (
    SELECT avg(ir.value)::float AS composite, count(*) AS n
    FROM therapy_sessions_integrationrating ir
    JOIN therapy_sessions_integrationindicator i
      ON i.id = ir.indicator_id AND i.in_composite
     AND i.scale_min = %(cmin)s AND i.scale_max = %(cmax)s
    WHERE ir.session_id = s.id
) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE zone = 'HYPER') AS hyper,
           count(*) FILTER (WHERE zone = 'WITHIN') AS within,
           count(*) FILTER (WHERE zone = 'HYPO') AS hypo
    FROM therapy_sessions_arousalobservation
    -- The client's trajectory: the therapist's own arousal is not the client's.
    WHERE session_id = s.id AND whose = 'CLIENT'
) a ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE process = 'MATCH') AS matches,
           count(*) FILTER (WHERE process = 'MISMATCH') AS mismatches,
           count(*) FILTER (WHERE process = 'REPAIR') AS repairs
    FROM therapy_sessions_attunementmoment WHERE session_id = s.id
) m ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM therapy_sessions_ruptureevent WHERE session_id = s.id
) ru ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE zone = %(within)s) AS within,
           count(*) FILTER (WHERE zone <> %(within)s) AS outside
    FROM therapy_sessions_arousalobservation
    WHERE session_id = s.id AND whose = %(own)s
) o ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE client_response = %(settled)s) AS settled,
           count(*) FILTER (WHERE client_response <> %(settled)s) AS unsettled
    FROM therapy_sessions_coregulationmoment WHERE session_id = s.id
) cr ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM therapy_sessions_integrationlink WHERE session_id = s.id
) li ON true
WHERE s.status = 'ATTENDED' {where_s}
"""

_CLIENT_WEEK = """
INSERT INTO dashboards_clientweek (
    client_id, week, sessions, composite, ruptures, mismatches, attune_repairs)
SELECT client_id, date_trunc('week', starts_at AT TIME ZONE %(tz)s)::date,
       count(*), avg(composite), sum(ruptures), sum(mismatches), sum(attune_repairs)
FROM dashboards_sessionrollup s
WHERE true {where_s}
GROUP BY 1, 2
"""

# Open ruptures: no repair yet, whatever the status of the session they were recorded in.
_CLIENT_SUMMARY = """
INSERT INTO dashboards_clientsummary (
    client_id, sessions_attended, last_attended_at, recent_composites, trend_slope, trend_n,
    open_ruptures, open_rupture_at, refreshed_at)
SELECT c.id, COALESCE(agg.n, 0), agg.last_at, COALESCE(rc.vals, '{{}}'),
       tr.slope, COALESCE(tr.n, 0), COALESCE(op.n, 0), COALESCE(op.ats, '{{}}'), now()
FROM clients_client c
LEFT JOIN LATERAL (
    SELECT count(*) AS n, max(starts_at) AS last_at
    FROM dashboards_sessionrollup WHERE client_id = c.id
) agg ON true
LEFT JOIN LATERAL (
    SELECT array_agg(composite ORDER BY seq) AS vals FROM (
        SELECT composite, seq FROM dashboards_sessionrollup
        WHERE client_id = c.id AND composite IS NOT NULL ORDER BY seq DESC LIMIT 12) x
) rc ON true
LEFT JOIN LATERAL (
    SELECT regr_slope(composite, k) AS slope, count(*) AS n FROM (
        SELECT composite, row_number() OVER (ORDER BY seq) AS k FROM (
            SELECT composite, seq FROM dashboards_sessionrollup
            WHERE client_id = c.id AND composite IS NOT NULL
            ORDER BY seq DESC LIMIT %(window)s) y) z
) tr ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n,
           array_agg(s.starts_at + ru.minute * interval '1 minute' ORDER BY s.starts_at) AS ats
    FROM therapy_sessions_ruptureevent ru
    JOIN therapy_sessions_therapysession s ON s.id = ru.session_id
    WHERE ru.client_id = c.id
      AND NOT ru.repaired
) op ON true
WHERE true {where_c}
"""

# First and latest complete totals of each instrument (never the answers): the pages compute
# reliable change from them with measures.reports.
_CLIENT_MEASURE = """
INSERT INTO dashboards_clientmeasure (
    client_id, instrument, scored, first_total, last_total, first_at, last_at)
SELECT a.client_id, a.instrument, count(*),
       (array_agg(a.total ORDER BY a.completed_at, a.id))[1],
       (array_agg(a.total ORDER BY a.completed_at DESC, a.id DESC))[1],
       min(a.completed_at), max(a.completed_at)
FROM measures_administration a
WHERE a.total IS NOT NULL {where_a}
GROUP BY 1, 2
"""

# Documentation lag runs from the session's end to the author's signature. "Within two
# sessions" counts the client's attended sessions: the rupture's session, then two more.
_THERAPIST_WEEK = """
WITH s AS (
    SELECT s.id, s.therapist_id, s.client_id, s.starts_at, s.duration_minutes,
           date_trunc('week', s.starts_at AT TIME ZONE %(tz)s)::date AS week
    FROM therapy_sessions_therapysession s
    WHERE s.status = 'ATTENDED' {where_t}
), sess AS (
    SELECT therapist_id, week, count(*) AS sessions, count(DISTINCT client_id) AS clients
    FROM s GROUP BY 1, 2
), notes AS (
    SELECT s.therapist_id, s.week, count(*) AS signed,
           count(*) FILTER (WHERE n.signed_at > s.starts_at
                            + (s.duration_minutes + %(late_h)s * 60) * interval '1 minute') AS late,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM n.signed_at
               - (s.starts_at + s.duration_minutes * interval '1 minute')) / 3600.0) AS lag
    FROM s JOIN therapy_sessions_progressnote n
      ON n.session_id = s.id AND n.signed_at IS NOT NULL
    GROUP BY 1, 2
), rup AS (
    SELECT s.therapist_id, s.week, count(*) AS ruptures,
           count(*) FILTER (WHERE rp.session_id = ru.session_id) AS same,
           count(*) FILTER (WHERE rs.seq - ss.seq <= 2) AS within_two,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
               (rps.starts_at + rp.minute * interval '1 minute')
               - (s.starts_at + ru.minute * interval '1 minute')) / 3600.0)
               FILTER (WHERE rp.id IS NOT NULL) AS med
    FROM s JOIN therapy_sessions_ruptureevent ru ON ru.session_id = s.id
    LEFT JOIN therapy_sessions_repairevent rp ON rp.rupture_id = ru.id
    LEFT JOIN therapy_sessions_therapysession rps ON rps.id = rp.session_id
    LEFT JOIN dashboards_sessionrollup ss ON ss.session_id = ru.session_id
    LEFT JOIN dashboards_sessionrollup rs ON rs.session_id = rp.session_id
    GROUP BY 1, 2
)
INSERT INTO dashboards_therapistweek (
    therapist_id, week, sessions, clients_seen, notes_signed, notes_late, lag_median_hours,
    ruptures, repaired_same_session, repaired_within_two, repair_median_hours)
SELECT sess.therapist_id, sess.week, sess.sessions, sess.clients,
       COALESCE(notes.signed, 0), COALESCE(notes.late, 0), notes.lag,
       COALESCE(rup.ruptures, 0), COALESCE(rup.same, 0), COALESCE(rup.within_two, 0), rup.med
FROM sess
LEFT JOIN notes USING (therapist_id, week)
LEFT JOIN rup USING (therapist_id, week)
"""

_THERAPIST_SUMMARY = """
INSERT INTO dashboards_therapistsummary (
    therapist_id, since, notes_signed, notes_late, lag_median_hours, repair_median_hours,
    refreshed_at)
SELECT u.id, %(since)s::date, COALESCE(n.signed, 0), COALESCE(n.late, 0), n.lag, r.med, now()
FROM accounts_user u
LEFT JOIN LATERAL (
    SELECT count(*) AS signed,
           count(*) FILTER (WHERE pn.signed_at > s.starts_at
                            + (s.duration_minutes + %(late_h)s * 60) * interval '1 minute') AS late,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM pn.signed_at
               - (s.starts_at + s.duration_minutes * interval '1 minute')) / 3600.0) AS lag
    FROM therapy_sessions_therapysession s
    JOIN therapy_sessions_progressnote pn ON pn.session_id = s.id AND pn.signed_at IS NOT NULL
    WHERE s.therapist_id = u.id AND s.status = 'ATTENDED' AND s.starts_at >= %(since_at)s
) n ON true
LEFT JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
               (rps.starts_at + rp.minute * interval '1 minute')
               - (s.starts_at + ru.minute * interval '1 minute')) / 3600.0) AS med
    FROM therapy_sessions_therapysession s
    JOIN therapy_sessions_ruptureevent ru ON ru.session_id = s.id
    JOIN therapy_sessions_repairevent rp ON rp.rupture_id = ru.id
    JOIN therapy_sessions_therapysession rps ON rps.id = rp.session_id
    WHERE s.therapist_id = u.id AND s.starts_at >= %(since_at)s
) r ON true
WHERE u.role IN ('THERAPIST', 'SUPERVISOR') {where_u}
"""


def _params(**extra) -> dict:
    now = timezone.now()
    since_at = now - timedelta(weeks=SUMMARY_WEEKS)
    return {
        "tz": settings.TIME_ZONE,
        "window": TREND_WINDOW,
        # The composite averages indicators on its one declared scale only.
        "cmin": COMPOSITE_SCALE.low,
        "cmax": COMPOSITE_SCALE.high,
        # Codes of the co-regulation columns, from the models.
        "within": ArousalObservation.Zone.WITHIN,
        "own": ArousalObservation.Whose.THERAPIST,
        "settled": CoRegulationMoment.Response.SETTLED,
        "since": timezone.localdate(since_at),
        "since_at": since_at,
        # When a note is late: the practice's setting, read once per refresh.
        "late_h": practice.note_late_hours(),
        **extra,
    }


def _therapists_of(cursor, client_id: int) -> list[int]:
    cursor.execute(
        """
        SELECT therapist_id FROM therapy_sessions_therapysession WHERE client_id = %(c)s
        UNION
        SELECT therapist_id FROM clients_caseassignment WHERE client_id = %(c)s
        ORDER BY 1
        """,
        {"c": client_id},
    )
    return [row[0] for row in cursor.fetchall()]


def rollup_refresh_client(*, client_id: int) -> None:
    """Recompute every rollup row that depends on one client, in one transaction.

    Idempotent: the rows are deleted and rebuilt from the clinical record. The client's
    clinicians' weekly rows and summaries are rebuilt too (they count this client's sessions).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # Shared with other client refreshes, exclusive against a full refresh.
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [_LOCK_CLIENT])
        therapists = _therapists_of(cursor, client_id)
        # Locks in a fixed order (client, then clinicians by id) so refreshes never deadlock.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLIENT, client_id]
        )
        for therapist_id in therapists:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_THERAPIST, therapist_id]
            )
        params = _params(c=client_id, t=therapists)
        cursor.execute(
            "DELETE FROM dashboards_sessionrollup WHERE client_id = %(c)s", params
        )
        cursor.execute(
            _SESSION_ROLLUP.format(where_s="AND s.client_id = %(c)s"), params
        )
        cursor.execute(
            "DELETE FROM dashboards_clientweek WHERE client_id = %(c)s", params
        )
        cursor.execute(_CLIENT_WEEK.format(where_s="AND s.client_id = %(c)s"), params)
        cursor.execute(
            "DELETE FROM dashboards_clientsummary WHERE client_id = %(c)s", params
        )
        cursor.execute(_CLIENT_SUMMARY.format(where_c="AND c.id = %(c)s"), params)
        cursor.execute(
            "DELETE FROM dashboards_clientmeasure WHERE client_id = %(c)s", params
        )
        cursor.execute(
            _CLIENT_MEASURE.format(where_a="AND a.client_id = %(c)s"), params
        )
        if therapists:
            _refresh_therapists(cursor, params, "= ANY(%(t)s)")


def _refresh_therapists(cursor, params: dict, match: str) -> None:
    cursor.execute(
        f"DELETE FROM dashboards_therapistweek WHERE therapist_id {match}", params
    )
    cursor.execute(
        _THERAPIST_WEEK.format(where_t=f"AND s.therapist_id {match}"), params
    )
    cursor.execute(
        f"DELETE FROM dashboards_therapistsummary WHERE therapist_id {match}", params
    )
    cursor.execute(_THERAPIST_SUMMARY.format(where_u=f"AND u.id {match}"), params)


def rollup_refresh_all() -> dict[str, float]:
    """Rebuild every rollup of the practice in one transaction (nightly, and on demand).

    Returns the seconds each step took, for the management command and the benchmark.
    """
    timings: dict[str, float] = {}
    params = _params()
    steps = [
        ("delete", "DELETE FROM dashboards_sessionrollup"),
        ("sessions", _SESSION_ROLLUP.format(where_s="")),
        ("delete", "DELETE FROM dashboards_clientweek"),
        ("client_weeks", _CLIENT_WEEK.format(where_s="")),
        ("delete", "DELETE FROM dashboards_clientsummary"),
        ("clients", _CLIENT_SUMMARY.format(where_c="")),
        ("delete", "DELETE FROM dashboards_clientmeasure"),
        ("client_measures", _CLIENT_MEASURE.format(where_a="")),
        ("delete", "DELETE FROM dashboards_therapistweek"),
        ("therapist_weeks", _THERAPIST_WEEK.format(where_t="")),
        ("delete", "DELETE FROM dashboards_therapistsummary"),
        ("therapists", _THERAPIST_SUMMARY.format(where_u="")),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        # One full refresh at a time; single-client refreshes wait for it on their rows.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_LOCK_CLIENT])
        for name, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql, params)
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
    logger.info("rollups refreshed: %s", timings)
    return timings
