"""The operational probes /healthz reports to a monitor holding HEALTHZ_TOKEN (REL-11).

Each probe returns a small dict with a `status` of "ok", "warn" or "unknown" and the facts
behind it. None of them touches clinical data. A stale backup or an unsynchronised clock is a
warning for people to act on, not a reason for a load balancer to take the app out of service,
so these probes never turn /healthz into a 503; the database and the broker do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from datetime import timedelta

from django.db import connection
from django.utils import timezone

BACKUP_MAX_AGE = timedelta(hours=26)
DRILL_MAX_AGE = timedelta(days=8)
AUDIT_VERIFY_MAX_AGE = timedelta(hours=26)
# The sealer runs every second; an event waiting longer than this means it is not running
# (no beat, a stuck worker) or a transaction has been left open for that long.
AUDIT_UNSEALED_MAX_AGE = timedelta(seconds=60)


def _age(when) -> int:
    return int((timezone.now() - when).total_seconds())


def backup() -> dict:
    """The newest backup: failed, older than 26 hours, or never run is a warning."""
    from ipnb_notes.models import BackupReport

    last = (
        BackupReport.objects.exclude(kind=BackupReport.Kind.DRILL)
        .order_by("-finished_at")
        .first()
    )
    return _report_status(last, BACKUP_MAX_AGE)


def restore_drill() -> dict:
    """The newest restore drill: it runs weekly, so older than 8 days is a warning."""
    from ipnb_notes.models import BackupReport

    last = (
        BackupReport.objects.filter(kind=BackupReport.Kind.DRILL)
        .order_by("-finished_at")
        .first()
    )
    return _report_status(last, DRILL_MAX_AGE)


def _report_status(last, max_age: timedelta) -> dict:
    if last is None:
        return {"status": "warn", "last": None}
    age = _age(last.finished_at)
    body = {"last": last.label, "age_seconds": age, "ok": last.ok}
    healthy = last.ok and age <= max_age.total_seconds()
    return {"status": "ok" if healthy else "warn", **body}


def wal_archiver() -> dict:
    """pg_stat_archiver: a failure newer than the last success means WAL is piling up on the
    database host and point-in-time recovery is falling behind."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('archive_mode')")
        mode = cursor.fetchone()[0]
        cursor.execute(
            "SELECT archived_count, last_archived_time, failed_count, last_failed_time"
            " FROM pg_stat_archiver"
        )
        archived, last_archived, failed, last_failed = cursor.fetchone()
    return archiver_status(mode, archived, last_archived, failed, last_failed)


def archiver_status(mode, archived, last_archived, failed, last_failed) -> dict:
    body = {"archive_mode": mode, "archived": archived, "failed": failed}
    if mode == "off":
        return {"status": "warn", **body}
    failing = last_failed is not None and (
        last_archived is None or last_failed > last_archived
    )
    if last_archived is not None:
        body["last_archived_age_seconds"] = _age(last_archived)
    return {"status": "warn" if failing else "ok", **body}


def audit_verification() -> dict:
    """The newest verdict of the nightly audit-chain verification (AUD-04)."""
    from audit.models import AuditEvent

    last = (
        AuditEvent.objects.filter(action="audit.verify")
        .order_by("-seq")
        .values("at", "changes")
        .first()
    )
    if last is None:
        return {"status": "warn", "last": None}
    age = _age(last["at"])
    intact = bool(last["changes"].get("ok"))
    body = {"age_seconds": age, "intact": intact}
    if not intact:
        body["first_bad_seq"] = last["changes"].get("first_bad_seq")
    healthy = intact and age <= AUDIT_VERIFY_MAX_AGE.total_seconds()
    return {"status": "ok" if healthy else "warn", **body}


def audit_sealing() -> dict:
    """The oldest audit event not chained by the sealer yet (audit/sealer.py). Looks only
    above the sealer's last horizon, so it stays cheap however long the trail."""
    from django.db.models import Count, Min

    from audit.models import AuditEvent, AuditSeal

    since = (
        AuditSeal.objects.order_by("-position")
        .values_list("horizon", flat=True)
        .first()
    )
    waiting = AuditEvent.objects.filter(
        xid__gte=since or 0, seal__isnull=True
    ).aggregate(unsealed=Count("id"), oldest=Min("at"))
    if not waiting["unsealed"]:
        return {"status": "ok", "unsealed": 0}
    age = max(0, _age(waiting["oldest"]))
    healthy = age <= AUDIT_UNSEALED_MAX_AGE.total_seconds()
    return {
        "status": "ok" if healthy else "warn",
        "unsealed": waiting["unsealed"],
        "oldest_unsealed_age_seconds": age,
    }


# struct timex from <sys/timex.h> (Linux, 64-bit longs); only `status` and the error
# estimates are read. Reading needs no privilege (modes = 0 changes nothing).
class _Timex(ctypes.Structure):
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("reserved", ctypes.c_int * 11),
    ]


TIME_ERROR = 5
STA_UNSYNC = 0x0040


def clock() -> dict:
    """Whether the kernel's clock is disciplined by NTP (chrony, ntpd or systemd-timesyncd
    on the host), read with adjtimex(2). Containers share the host's kernel clock, so this
    works inside one. Audit timestamps are only as good as this (AUD-10)."""
    if not sys.platform.startswith("linux"):
        return {"status": "unknown", "synchronized": None}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        timex = _Timex()
        state = libc.adjtimex(ctypes.byref(timex))
    except (OSError, AttributeError):
        return {"status": "unknown", "synchronized": None}
    if state < 0:
        return {"status": "unknown", "synchronized": None}
    return clock_status(state, timex.status, timex.esterror)


def clock_status(state: int, status_bits: int, esterror_us: int) -> dict:
    synchronized = state != TIME_ERROR and not status_bits & STA_UNSYNC
    body = {"synchronized": synchronized}
    if synchronized:
        body["estimated_error_ms"] = round(esterror_us / 1000, 1)
    return {"status": "ok" if synchronized else "warn", **body}


PROBES = {
    "backup": backup,
    "restore_drill": restore_drill,
    "wal_archiver": wal_archiver,
    "audit_verification": audit_verification,
    "audit_sealing": audit_sealing,
    "clock": clock,
}


def report() -> dict:
    """Every probe; a probe that itself fails reports "unknown" rather than hiding the rest."""
    results = {}
    for name, probe in PROBES.items():
        try:
            results[name] = probe()
        except Exception as exc:  # a broken probe must not hide the others
            results[name] = {"status": "unknown", "error": type(exc).__name__}
    return results
