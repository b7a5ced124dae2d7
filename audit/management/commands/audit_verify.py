"""`manage.py audit_verify`: exit 0 when the audit hash chain is intact, 1 naming each break."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit non-zero naming the first bad sequence number."

    def handle(self, *args, **options) -> None:
        from audit.services import verify_chain_report

        report = verify_chain_report()
        if report["problems"]:
            for problem in report["problems"]:
                self.stderr.write(problem)
            raise CommandError(
                f"audit trail altered: first bad sequence number {report['first_bad_seq']}"
                f" ({len(report['problems'])} problem(s))"
            )
        self.stdout.write(
            f"Audit trail intact: {report['events']} events, head seq "
            f"{report['head_seq']} (chain position {report['head_position']}) hash "
            f"{report['head_hash']}"
        )
        if report["unsealed"]:
            self.stdout.write(
                f"{report['unsealed']} event(s) not sealed yet, the oldest"
                f" {report['oldest_unsealed_age_seconds']} s old (they verify on their own;"
                " the sealer chains them)"
            )
