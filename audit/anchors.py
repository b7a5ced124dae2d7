"""Anchors of the audit chain kept off the database host (AUD-04).

Every night, after the chain verifies, its sealed head (chain position, the event's sequence
number and the seal's hash; audit/sealer.py) is appended to
AUDIT_ANCHOR_FILE, a file on storage the database host cannot rewrite (another host's mount,
a write-once bucket synchronised from it). Each line carries an HMAC under the audit key, so a
forged anchor is caught too. The verifier then checks every anchor against the database: a
missing anchored row means the newest part of the trail was cut off, which the chain alone
cannot show; a different hash means rows were rewritten and the chain recomputed.

Each anchor is numbered, and every write is itself an `audit.anchor` event carrying its
number, so the chain says how many anchors the file must hold: a missing, unreadable or
shortened file (or AUDIT_ANCHOR_FILE unset after anchors were written) fails verification.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent, AuditSeal

ANCHOR_ACTION = "audit.anchor"


def _path() -> Path | None:
    return Path(settings.AUDIT_ANCHOR_FILE) if settings.AUDIT_ANCHOR_FILE else None


def _mac(
    seq: int, hash_: str, at: str, n: int | None = None, position: int | None = None
) -> str:
    # Anchors written before they were numbered carry no n; before events were sealed after
    # commit, no position (they name an event chained at insert by its seq and hash).
    if n is None:
        message = f"anchor|{seq}|{hash_}|{at}"
    elif position is None:
        message = f"anchor|{n}|{seq}|{hash_}|{at}"
    else:
        message = f"anchor|{n}|{position}|{seq}|{hash_}|{at}"
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256
    ).hexdigest()


def written() -> int:
    """How many anchors the audit trail says were written (the newest anchor's number)."""
    last = (
        AuditEvent.objects.filter(action=ANCHOR_ACTION)
        .order_by("-seq")
        .values_list("changes", flat=True)
        .first()
    )
    return int(last.get("n", 0)) if last else 0


def write(seq: int, hash_: str, *, position: int) -> dict | None:
    """Append the sealed chain head (its position, its event's seq and the seal's hash), then
    audit the write with the anchor's number; nothing when no anchor file is configured or
    nothing is sealed yet."""
    import audit

    path = _path()
    if path is None or position == 0:
        return None
    n = written() + 1
    at = timezone.now().isoformat()
    anchor = {
        "n": n,
        "position": position,
        "seq": seq,
        "hash": hash_,
        "at": at,
        "mac": _mac(seq, hash_, at, n, position),
    }
    with path.open("a", encoding="utf-8") as anchors:
        anchors.write(json.dumps(anchor, sort_keys=True) + "\n")
    audit.record(ANCHOR_ACTION, changes={"n": n, "seq": seq})
    return anchor


def check() -> list[str]:
    """One message per anchor the database contradicts, each naming its sequence number
    (seq 0 for a problem of the file itself)."""
    path = _path()
    expected = written()
    if path is None:
        if expected:
            return [
                f"seq 0: AUDIT_ANCHOR_FILE is unset, but {expected} anchor(s) were written"
            ]
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if expected:
            return [
                f"seq 0: the anchor file {path} is missing, but {expected} anchor(s)"
                " were written"
            ]
        return []
    except (OSError, UnicodeDecodeError) as exc:
        return [
            f"seq 0: the anchor file {path} cannot be read ({exc.__class__.__name__})"
        ]
    anchors = []
    problems = []
    numbers = set()
    for number, line in enumerate(text.splitlines(), 1):
        try:
            anchor = json.loads(line)
            seq, hash_, at = int(anchor["seq"]), str(anchor["hash"]), str(anchor["at"])
            n = int(anchor["n"]) if "n" in anchor else None
            # Only numbered anchors name a position: an unnumbered one is older than seals.
            position = (
                int(anchor["position"])
                if "position" in anchor and n is not None
                else None
            )
        except (ValueError, KeyError, TypeError):
            problems.append(f"seq 0: anchor file line {number} is unreadable")
            continue
        mac = _mac(seq, hash_, at, n, position)
        if not hmac.compare_digest(str(anchor.get("mac", "")), mac):
            problems.append(f"seq {seq}: the anchor of {at} is not genuine (bad MAC)")
            continue
        if n is not None:
            numbers.add(n)
        anchors.append((position, seq, hash_, at))
    missing = sorted(set(range(1, expected + 1)) - numbers)
    if missing:
        problems.append(
            f"seq 0: the anchor file lacks {len(missing)} of the {expected} anchor(s)"
            f" written (first missing: number {missing[0]}): anchors were removed"
        )
    sealed = dict(
        AuditSeal.objects.filter(
            position__in={p for p, _, _, _ in anchors if p is not None}
        ).values_list("position", "hash")
    )
    chained = dict(
        AuditEvent.objects.filter(
            seq__in={seq for p, seq, _, _ in anchors if p is None}
        ).values_list("seq", "hash")
    )
    for position, seq, hash_, at in anchors:
        stored = chained if position is None else sealed
        key = seq if position is None else position
        if key not in stored:
            problems.append(
                f"seq {seq}: anchored on {at} but missing (the trail was truncated)"
            )
        elif not hmac.compare_digest(stored[key], hash_):
            problems.append(
                f"seq {seq}: hash differs from the anchor of {at} (rows rewritten)"
            )
    return problems
