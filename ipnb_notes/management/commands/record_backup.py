"""`manage.py record_backup`: what the backup and restore-drill scripts call when they finish,
so that /healthz can say how old the last good backup and drill are (REL-09, REL-11)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

import audit
from ipnb_notes.models import BackupReport


class Command(BaseCommand):
    help = "Record the outcome of a backup or a restore drill."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", required=True, choices=BackupReport.Kind.values)
        parser.add_argument(
            "--label", required=True, help="e.g. the pgBackRest backup label"
        )
        parser.add_argument("--failed", action="store_true", help="the run failed")
        parser.add_argument("--detail", default="", help="a short reason (no PHI)")

    def handle(
        self, *args, kind: str, label: str, failed: bool, detail: str, **options
    ):
        report = BackupReport.objects.create(
            kind=kind, label=label[:120], ok=not failed, detail=detail[:500]
        )
        audit.record(
            "ops.backup",
            target=report,
            changes={"kind": kind, "label": report.label, "ok": report.ok},
        )
        self.stdout.write(f"Recorded: {report}")
