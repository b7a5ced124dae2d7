"""The audit sealer (beat: audit-seal, every second) and the nightly verification of the
audit trail (beat: audit-verify-nightly)."""

from __future__ import annotations

import logging

from celery import shared_task

from ipnb_notes.celery import retry_on_outage

log = logging.getLogger("ipnb_notes.audit")


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50, **retry_on_outage())
def audit_seal() -> int:
    """Chain the committed audit events (audit/sealer.py). Idempotent: a redelivered or
    retried pass seals only what is still unsealed, and one that finds another sealer
    running returns at once; beat runs it again every second anyway."""
    from audit.sealer import seal

    return seal()


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3300, **retry_on_outage())
def audit_verify() -> dict:
    """Walk the hash chain. A break is logged at ERROR (so monitoring alerts) and recorded as
    an `audit.verify` event. The chain head is logged every night: with logs shipped off the
    host it is the anchor that shows a truncated tail."""
    from audit.sealer import seal
    from audit.services import verify_chain_report

    seal(wait=True)
    report = verify_chain_report()
    if report["problems"]:
        for problem in report["problems"]:
            log.error("audit chain broken: %s", problem)
    else:
        log.info(
            "audit chain intact: %s events (%s not sealed yet), head seq %s position %s"
            " hash %s",
            report["events"],
            report["unsealed"],
            report["head_seq"],
            report["head_position"],
            report["head_hash"],
        )
        from audit import anchors

        anchors.write(
            report["head_seq"], report["head_hash"], position=report["head_position"]
        )
    import audit

    audit.record(
        "audit.verify",
        changes={
            "ok": not report["problems"],
            "events": report["events"],
            "head_seq": report["head_seq"],
            "unsealed": report["unsealed"],
            "first_bad_seq": report["first_bad_seq"],
        },
    )
    return {
        "ok": not report["problems"],
        "events": report["events"],
        "first_bad_seq": report["first_bad_seq"],
    }
