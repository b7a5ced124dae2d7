"""manage.py refresh_rollups: rebuild every dashboard rollup now (the nightly task, by hand)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild every dashboard rollup from the clinical record."

    def add_arguments(self, parser):
        parser.add_argument(
            "--client", type=int, help="Refresh one client (by database id) only"
        )

    def handle(self, *args, client=None, **options):
        from dashboards import services

        started = time.perf_counter()
        if client:
            services.rollup_refresh_client(client_id=client)
            self.stdout.write(f"Refreshed client {client}.")
        else:
            timings = services.rollup_refresh_all()
            for name, seconds in timings.items():
                self.stdout.write(f"  {name}: {seconds:.2f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Rollups refreshed in {time.perf_counter() - started:.1f} s"
            )
        )
