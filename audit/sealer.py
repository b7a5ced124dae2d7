"""The sealer: chains committed audit events after their transactions end (AUD-03).

A request writes its event with one INSERT and takes no lock shared with other requests
(audit.record). The sealer, one at a time (an advisory lock only it takes), gives each
committed event not yet sealed the next chain position, in a stable order (by id), and writes
an AuditSeal row (append-only, HMAC-keyed, chained to the previous seal).

Commit-safe: an event is sealed only once its transaction has committed (an uncommitted row
is invisible to the sealer), and never twice (one seal per event, by a unique constraint and
by the sealer's own anti-join). Every event carries its transaction's id (`xid`). Each seal
records the sealer's horizon, the oldest transaction still running when it looked
(`pg_snapshot_xmin`): every committed event of an older transaction was visible then and is
sealed. The next pass looks only at events from that horizon on, so a transaction that began
earlier but committed later is still found, and the look stays small however long the trail.

Runs from Celery beat every second (audit-seal); without a broker (`make run`, the tests)
audit.record asks for a pass after its transaction commits (AUDIT_SEAL_AFTER_COMMIT).
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from audit.chain import GENESIS, seal_hash
from audit.models import AuditEvent, AuditSeal

log = logging.getLogger("ipnb_notes.audit")

# Any fixed 64-bit number other than other advisory locks: held by the sealer only.
SEALER_LOCK = 0x1A0D5E
BATCH = 2000


def seal(*, batch: int = BATCH, wait: bool = False) -> int:
    """Seal every committed event not sealed yet, `batch` per transaction; return how many.
    With wait=False, return 0 at once when another sealer is running (it seals them)."""
    total = 0
    while True:
        sealed = _seal_batch(batch, wait)
        if sealed is None:
            return total
        total += sealed
        if sealed < batch:
            return total


def _seal_batch(batch: int, wait: bool) -> int | None:
    with transaction.atomic(), connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALER_LOCK])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEALER_LOCK])
            if not cursor.fetchone()[0]:
                return None
        # Read after the lock: this statement's snapshot sees the previous sealer's seals.
        # Its xmin is taken before the events are read, so every transaction older than it
        # has ended before that read: their committed events are all in it.
        cursor.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
            " s.position, s.hash, s.horizon"
            " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT position, hash, horizon"
            " FROM audit_auditseal ORDER BY position DESC LIMIT 1) s ON true"
        )
        oldest_running, position, prev_hash, since = cursor.fetchone()
        position, since = position or 0, since or 0
        prev_hash = prev_hash or GENESIS
        events = list(
            AuditEvent.objects.filter(xid__gte=since, seal__isnull=True)
            .order_by("id")
            .values_list("id", "seq", "hash")[:batch]
        )
        if not events:
            return 0
        # A full batch may have left older events behind: keep the old horizon until a
        # pass seals everything it sees.
        horizon = since if len(events) == batch else max(since, oldest_running)
        now = timezone.now()
        seals = []
        for event_id, seq, hash_ in events:
            position += 1
            digest = seal_hash(position, event_id, seq, hash_, prev_hash)
            seals.append(
                AuditSeal(
                    position=position,
                    event_id=event_id,
                    event_seq=seq,
                    horizon=horizon,
                    sealed_at=now,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
        AuditSeal.objects.bulk_create(seals)
    return len(events)


def seal_after_commit() -> None:
    """Without a broker: seal once the current transaction commits (once per transaction)."""
    if any(func is _seal_now for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_seal_now, robust=True)


def _seal_now() -> None:
    seal(wait=True)
