"""Contract for the clinical record and the capture panel: call request_rollup(client) after any
note signature or IPNB event change; it refreshes the dashboards' rollups after commit."""

from __future__ import annotations


def request_rollup(client) -> None:
    """Queue an idempotent refresh of this client's (and its therapist's) weekly rollups."""
    from dashboards.tasks import rollup_refresh_client

    rollup_refresh_client.delay_on_commit(client.id)
