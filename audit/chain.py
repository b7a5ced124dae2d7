"""The audit trail's arithmetic: each event's own HMAC and each seal's place in the chain,
under a key kept outside the database (AUDIT_HMAC_KEY). Written once here, used by the
writer (audit.services.record), the sealer (audit/sealer.py) and verification."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings

from audit.models import AuditEvent

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_email": event.actor_email,
        "action": event.action,
        "target_type": event.target_type,
        "target_code": event.target_code,
        "client_code": str(event.client_code) if event.client_code else "",
        "ip": event.ip or "",
        "request_id": event.request_id,
        "changes": event.changes,
    }
    if event.prev_hash:
        # Written before sealing existed: chained at insert, so the number and the
        # predecessor's hash are part of what it signs.
        payload |= {"seq": event.seq, "prev_hash": event.prev_hash}
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def event_hash(event: AuditEvent) -> str:
    """HMAC-SHA256 of the event's contents, under a key outside the database: a row
    inserted or edited without the key does not verify, sealed or not."""
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), _canonical(event), hashlib.sha256
    ).hexdigest()


def seal_hash(
    position: int, event_id: int, event_seq: int, hash_: str, prev_hash: str
) -> str:
    """HMAC-SHA256 of a chain position: which event (id, number and own hash) sits there,
    and the previous seal's hash."""
    message = f"seal|{position}|{event_id}|{event_seq}|{hash_}|{prev_hash}"
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256
    ).hexdigest()
