from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import GENESIS, event_hash, seal_hash
from audit.models import AuditEvent
from ipnb_notes import batch
from ipnb_notes.http import client_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User


# The append, written once from the model: every column the writer sets (the number and the
# transaction id come from the database's defaults), returning what the database chose. Sent
# as one prepared statement (ipnb_notes.batch.run): Django's INSERT compiler cost more than
# the statement on every audited page.
_WRITTEN = [
    f
    for f in AuditEvent._meta.concrete_fields
    if not f.primary_key and not f.has_db_default()
]
_RETURNED = [f for f in AuditEvent._meta.concrete_fields if f not in _WRITTEN]
_APPEND = (
    f"INSERT INTO {connection.ops.quote_name(AuditEvent._meta.db_table)}"
    f" ({', '.join(connection.ops.quote_name(f.column) for f in _WRITTEN)})"
    f" VALUES ({', '.join(['%s'] * len(_WRITTEN))})"
    f" RETURNING {', '.join(connection.ops.quote_name(f.column) for f in _RETURNED)}"
)


def _append(event: AuditEvent, *, carried: bool = False) -> None:
    """INSERT the event in the caller's transaction; set what the database chose on it, then
    send it off the host and, where configured, seal it after commit. `carried`: the INSERT
    may ride at the head of the request's next batch round trip (batch.carry) instead of
    going now."""
    params = [
        f.get_db_prep_save(getattr(event, f.attname), connection) for f in _WRITTEN
    ]

    def appended(rows: list[tuple]) -> None:
        for field, value in zip(_RETURNED, rows[0], strict=True):
            setattr(event, field.attname, value)
        event._state.adding = False
        event._state.db = connection.alias
        transaction.on_commit(lambda: _stream(event))
        if settings.AUDIT_SEAL_AFTER_COMMIT:
            from audit import sealer

            sealer.seal_after_commit()

    if carried and batch.carry(_APPEND, params, appended):
        return
    [(_, rows)] = batch.run([(_APPEND, params)], names=False)
    appended(rows)


def record(
    action: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    target: Any = None,
    target_type: str = "",
    target_code: str = "",
    client_code: Any = None,
    changes: dict[str, Any] | None = None,
    carried: bool = False,
) -> AuditEvent:
    """Append one event to the audit trail. Never pass PHI in `changes`.

    One INSERT in the caller's transaction, durable when the caller's data is: no lock
    shared with other requests, no read of the chain. The event number comes from a
    sequence; the sealer (audit/sealer.py) chains the event after its transaction commits.
    `carried` (audit.read's events): in a request, the INSERT rides at the head of the
    page's next batch round trip, or goes at the request's end (batch.carry); its number and
    its seal come then."""
    if (
        request is not None
        and actor is None
        and getattr(request, "user", None)
        and request.user.is_authenticated
    ):
        actor = request.user
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_code = target_code or str(getattr(target, "code", target.pk))
    event = AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_email=actor.email if actor else "",
        action=action,
        target_type=target_type,
        target_code=target_code,
        client_code=client_code,
        ip=client_ip(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        changes=json.loads(json.dumps(changes or {}, default=str)),
        prev_hash="",
    )
    event.hash = event_hash(event)
    _append(event, carried=carried)
    return event


def read(
    request: HttpRequest,
    action: str,
    *,
    client: Any = None,
    target: Any = None,
    clients: Any = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one read of client data (AUD-01): the one way views audit what they show.

    Called in the view right after its access line, once per request: the actor is the
    request's user; `client` names the client whose record is shown (the event's client code;
    the target defaults to the client); a list names the clients it shows in `clients` (Client
    objects or codes, in the order shown), recorded in the one event's changes. A read made
    through an emergency grant also records `emergency_access.read`, naming the grant."""
    user = request.user
    if clients is not None:
        changes = {
            "clients": [str(getattr(c, "code", c)) for c in clients],
            **(changes or {}),
        }
    event = record(
        action,
        actor=user,
        request=request,
        target=target if target is not None else client,
        client_code=client.code if client is not None else None,
        changes=changes,
        carried=True,
    )
    if client is not None and user.may_break_glass:
        from ipnb_notes import access

        grant = access.emergency_grant_for_read(user, client)
        if grant is not None:
            record(
                "emergency_access.read",
                actor=user,
                request=request,
                target=grant,
                client_code=client.code,
                carried=True,
            )
    return event


def _stream(event: AuditEvent) -> None:
    """Send the committed event off the host (AUDIT_SYSLOG_ADDRESS); no PHI is in an event.
    `hash` is the event's own HMAC; its chain position comes later, from the sealer."""
    import logging

    logging.getLogger("ipnb_notes.audit").info(
        json.dumps(
            {
                "seq": event.seq,
                "at": event.at.isoformat(),
                "actor": event.actor_email,
                "action": event.action,
                "target_type": event.target_type,
                "target": event.target_code,
                "client": str(event.client_code) if event.client_code else "",
                "ip": event.ip or "",
                "request": event.request_id,
                "hash": event.hash,
            },
            sort_keys=True,
        )
    )


def _walk_seals(problems: list[str]) -> tuple[int, int]:
    """Check every seal in chain order against its event; return the highest sealer
    horizon and the number of seals."""
    from itertools import batched

    from audit.models import AuditSeal

    expected, prev_hash, horizon, count = 1, GENESIS, 0, 0
    seals = (
        AuditSeal.objects.order_by("position")
        .values_list(
            "position", "event_id", "event_seq", "horizon", "prev_hash", "hash"
        )
        .iterator(chunk_size=2000)
    )
    for chunk in batched(seals, 2000):
        events = AuditEvent.objects.in_bulk([s[1] for s in chunk])
        for position, event_id, seq, seal_horizon, seal_prev, seal_hash_ in chunk:
            count += 1
            horizon = max(horizon, seal_horizon)
            if position != expected:
                problems.append(
                    f"seq {seq}: chain positions {expected} to {position - 1} are missing"
                    f" before this event's (seals and their events deleted)"
                )
            if seal_prev != prev_hash:
                problems.append(
                    f"seq {seq}: the previous seal's hash does not match at position"
                    f" {position} (seal deleted, inserted or reordered)"
                )
            event = events.get(event_id)
            if event is None:
                problems.append(
                    f"seq {seq}: sealed at position {position} but missing (row deleted)"
                )
            else:
                if event.seq != seq:
                    problems.append(
                        f"seq {seq}: sealed at position {position}, but that event now"
                        f" carries seq {event.seq} (rows renumbered or reordered)"
                    )
                if not hmac.compare_digest(event.hash, event_hash(event)):
                    problems.append(
                        f"seq {event.seq}: contents do not match the hash (row edited)"
                    )
                expected_hash = seal_hash(
                    position, event_id, seq, event.hash, seal_prev
                )
                if not hmac.compare_digest(seal_hash_, expected_hash):
                    problems.append(
                        f"seq {seq}: the seal at position {position} does not match"
                        f" (seal or event rewritten)"
                    )
            expected, prev_hash = position + 1, seal_hash_
    return horizon, count


def _check_unsealed(problems: list[str], horizon: int) -> dict[str, Any]:
    """Events not sealed yet are reported apart, not as breaks; but one that does not
    verify, or whose transaction ended before the sealer's horizon, is a problem."""
    unsealed, oldest = 0, None
    for event in AuditEvent.objects.filter(seal__isnull=True).iterator(chunk_size=2000):
        unsealed += 1
        oldest = event.at if oldest is None else min(oldest, event.at)
        if not hmac.compare_digest(event.hash, event_hash(event)):
            problems.append(
                f"seq {event.seq}: contents do not match the hash (row edited or"
                f" forged, not sealed yet)"
            )
        if event.xid < horizon:
            problems.append(
                f"seq {event.seq}: committed before the sealer's horizon but has no seal"
                f" (its seal was deleted, or the row was inserted behind the sealer)"
            )
    age = int((timezone.now() - oldest).total_seconds()) if oldest else None
    return {"unsealed": unsealed, "oldest_unsealed_age_seconds": age}


def verify_chain() -> list[str]:
    """Walk the sealed chain in order and check the events not sealed yet; return one
    message per problem, each starting with the event's seq (empty when intact)."""
    problems: list[str] = []
    horizon, _ = _walk_seals(problems)
    _check_unsealed(problems, horizon)
    return problems


def verify_chain_report() -> dict[str, Any]:
    """verify_chain() plus what the nightly job and the command report: the number of events,
    the sealed chain head (to anchor elsewhere), the first broken sequence number, and the
    events not sealed yet (reported, not counted as breaks)."""
    import re

    from audit import anchors
    from audit.models import AuditSeal

    problems: list[str] = []
    horizon, sealed = _walk_seals(problems)
    unsealed = _check_unsealed(problems, horizon)
    problems += anchors.check()
    head = (
        AuditSeal.objects.order_by("-position")
        .values_list("position", "event_seq", "hash")
        .first()
    )
    first_bad = None
    if problems:
        first_bad = min(int(re.match(r"seq (\d+)", p).group(1)) for p in problems)
    return {
        "problems": problems,
        "events": AuditEvent.objects.count(),
        "sealed": sealed,
        **unsealed,
        "head_position": head[0] if head else 0,
        "head_seq": head[1] if head else 0,
        "head_hash": head[2] if head else GENESIS,
        "first_bad_seq": first_bad,
    }
