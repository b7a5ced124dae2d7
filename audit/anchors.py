"""Anchors of the audit chain kept off the database host (AUD-04).

Every night, after the chain verifies, its head (sequence number and hash) is appended to
AUDIT_ANCHOR_FILE, a file on storage the database host cannot rewrite (another host's mount,
a write-once bucket synchronised from it). Each line carries an HMAC under the audit key, so a
forged anchor is caught too. The verifier then checks every anchor against the database: a
missing anchored row means the newest part of the trail was cut off, which the chain alone
cannot show; a different hash means rows were rewritten and the chain recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent


def _path() -> Path | None:
    return Path(settings.AUDIT_ANCHOR_FILE) if settings.AUDIT_ANCHOR_FILE else None


def _mac(seq: int, hash_: str, at: str) -> str:
    message = f"anchor|{seq}|{hash_}|{at}".encode()
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), message, hashlib.sha256
    ).hexdigest()


def write(seq: int, hash_: str) -> dict | None:
    """Append the chain head; nothing when no anchor file is configured or the trail is empty."""
    path = _path()
    if path is None or seq == 0:
        return None
    at = timezone.now().isoformat()
    anchor = {"seq": seq, "hash": hash_, "at": at, "mac": _mac(seq, hash_, at)}
    with path.open("a", encoding="utf-8") as anchors:
        anchors.write(json.dumps(anchor, sort_keys=True) + "\n")
    return anchor


def check() -> list[str]:
    """One message per anchor the database contradicts, each naming its sequence number."""
    path = _path()
    if path is None or not path.exists():
        return []
    anchors = []
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            anchor = json.loads(line)
            seq, hash_, at = int(anchor["seq"]), str(anchor["hash"]), str(anchor["at"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"seq 0: anchor file line {number} is unreadable")
            continue
        if not hmac.compare_digest(str(anchor.get("mac", "")), _mac(seq, hash_, at)):
            problems.append(f"seq {seq}: the anchor of {at} is not genuine (bad MAC)")
            continue
        anchors.append((seq, hash_, at))
    stored = dict(
        AuditEvent.objects.filter(seq__in={seq for seq, _, _ in anchors}).values_list(
            "seq", "hash"
        )
    )
    for seq, hash_, at in anchors:
        if seq not in stored:
            problems.append(
                f"seq {seq}: anchored on {at} but missing (the trail was truncated)"
            )
        elif not hmac.compare_digest(stored[seq], hash_):
            problems.append(
                f"seq {seq}: hash differs from the anchor of {at} (rows rewritten)"
            )
    return problems
