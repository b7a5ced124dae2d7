"""A PHQ-9 or GAD-7 stored for a client refreshes that client's rollups after commit, as a
signed note or a tagged moment does (dashboards.services.request_rollup)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(
    post_save,
    sender="measures.Administration",
    dispatch_uid="dashboards_rollup_on_administration",
)
def administration_saved(sender, instance, **kwargs) -> None:
    from dashboards.services import request_rollup_for_measure

    request_rollup_for_measure(client_id=instance.client_id)
