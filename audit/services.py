from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from ipnb_notes.http import client_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

GENESIS = "0" * 64
# Any fixed 64-bit number: the advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 0x1A0D17


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
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
        "prev_hash": event.prev_hash,
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def event_hash(event: AuditEvent) -> str:
    """HMAC-SHA256 of the event and its predecessor's hash, under a key outside the database."""
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), _canonical(event), hashlib.sha256
    ).hexdigest()


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
) -> AuditEvent:
    """Append one event to the audit trail. Never pass PHI in `changes`."""
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
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            at=timezone.now(),
            actor=actor,
            actor_email=actor.email if actor else "",
            action=action,
            target_type=target_type,
            target_code=target_code,
            client_code=client_code,
            ip=client_ip(request) if request is not None else None,
            request_id=getattr(request, "request_id", "")
            if request is not None
            else "",
            changes=json.loads(json.dumps(changes or {}, default=str)),
            prev_hash=prev_hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        transaction.on_commit(lambda: _stream(event))
    return event


def _stream(event: AuditEvent) -> None:
    """Send the committed event off the host (AUDIT_SYSLOG_ADDRESS); no PHI is in an event."""
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


def verify_chain() -> list[str]:
    """Walk the chain in order; return one message per broken link (empty when intact)."""
    problems: list[str] = []
    expected_seq, prev_hash = 1, GENESIS
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            problems.append(
                f"seq {expected_seq}: missing (next present is {event.seq})"
            )
        if event.prev_hash != prev_hash:
            problems.append(
                f"seq {event.seq}: previous hash does not match (row deleted, inserted or reordered)"
            )
        if not hmac.compare_digest(event.hash, event_hash(event)):
            problems.append(
                f"seq {event.seq}: contents do not match the hash (row edited)"
            )
        expected_seq, prev_hash = event.seq + 1, event.hash
    return problems


def verify_chain_report() -> dict[str, Any]:
    """verify_chain() plus what the nightly job and the command report: the number of events,
    the chain head (to anchor elsewhere) and the first broken sequence number."""
    import re

    from audit import anchors

    problems = verify_chain() + anchors.check()
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    first_bad = None
    if problems:
        first_bad = min(int(re.match(r"seq (\d+)", p).group(1)) for p in problems)
    return {
        "problems": problems,
        "events": AuditEvent.objects.count(),
        "head_seq": head[0] if head else 0,
        "head_hash": head[1] if head else GENESIS,
        "first_bad_seq": first_bad,
    }


def emergency_access_grant(*, user: User, client, reason: str, request=None):
    """Open one client's record read-only for BREAK_GLASS_MINUTES. Audited, and the client's
    therapists, the practice admins and the user themself are emailed at once (who, when and a
    link; never the client's name; the reason is on the page)."""
    from datetime import timedelta

    from audit.models import EmergencyAccess
    from ipnb_notes import access

    # The page checks this already; the service checks again so that no other caller (a
    # command, a task, a future view) can open a record for someone who is not designated.
    access.require_break_glass(user)
    now = timezone.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            user=user,
            client=client,
            reason=reason.strip(),
            granted_at=now,
            expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        record(
            "emergency_access.grant",
            actor=user,
            request=request,
            target=grant,
            client_code=client.code,
            changes={
                "expires_at": grant.expires_at.isoformat(),
                "minutes": settings.BREAK_GLASS_MINUTES,
            },
        )
    from audit.tasks import emergency_access_notify
    from ipnb_notes import outbox

    outbox.enqueue(emergency_access_notify, grant.id)
    return grant


def emergency_access_lookup(*, user: User, query: str, request=None) -> list:
    """Find the client an emergency grant should name: by exact client code, or by a name
    search (at least 3 characters, checked by the form). At most 20 matches. Audited; a name
    searched for is recorded only by its length, never in clear (it may name a client)."""
    from uuid import UUID

    from django.db.models import Q

    from ipnb_notes import access

    clients = access.break_glass_clients(user)
    try:
        code = UUID(query)
    except ValueError:
        code = None
    if code is not None:
        matches = list(clients.filter(code=code))
        changes = {"by": "code", "matches": len(matches)}
    else:
        matches = list(
            clients.filter(
                Q(legal_name__icontains=query) | Q(preferred_name__icontains=query)
            ).order_by("legal_name", "pk")[:20]
        )
        changes = {"by": "name", "length": len(query), "matches": len(matches)}
    record(
        "emergency_access.lookup",
        actor=user,
        request=request,
        client_code=code if matches and code is not None else None,
        changes=changes,
    )
    return matches


def emergency_access_notify(grant_id: int) -> int:
    """Email the client's current therapists, every active practice admin (the privacy
    officer's role here) and the user who opened the record (so that a grant made with their
    account without their knowledge does not go unseen). No client name in the email: it
    travels outside the app."""
    from django.urls import reverse

    from accounts.models import User
    from audit.models import EmergencyAccess
    from clients.models import CaseAssignment

    grant = EmergencyAccess.objects.select_related("user", "client").get(pk=grant_id)
    therapists = User.objects.filter(
        pk__in=CaseAssignment.objects.current()
        .filter(client=grant.client)
        .values("therapist_id"),
        is_active=True,
    )
    admins = User.objects.filter(role=User.Role.ADMIN, is_active=True)
    recipients = sorted({u.email for u in [*therapists, *admins, grant.user]})
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse(
        "clients:client_detail", args=[grant.client.code]
    )
    with transaction.atomic():
        # REL-07: once per grant. A redelivered task finds the row and sends nothing; a
        # failed send rolls the row back, so the retry sends.
        if not _claim_notification("emergency_access", grant.pk):
            return 0
        _send_emergency_notice(grant, recipients, link)
    return len(recipients)


def _claim_notification(kind: str, object_id: int) -> bool:
    from django.db import IntegrityError

    from ipnb_notes.models import SentNotification

    try:
        with transaction.atomic():
            SentNotification.objects.create(kind=kind, object_id=object_id)
    except IntegrityError:
        return False
    return True


def _send_emergency_notice(grant, recipients: list[str], link: str) -> None:
    from django.core.mail import send_mail

    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Emergency access to a client record",
        message=(
            f"{grant.user} ({grant.user.email}) used emergency access to open a client's "
            f"record at {timezone.localtime(grant.granted_at):%Y-%m-%d %H:%M %Z}, "
            f"read-only until {timezone.localtime(grant.expires_at):%Y-%m-%d %H:%M %Z}.\n\n"
            f"The reason they gave is shown on the client's page: {link}\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
