from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A task to publish, written in the same transaction as the change that needs it.

    A broker outage must never block or lose a save (REL-08): the save commits with this row,
    the relay publishes after commit with a short timeout, and what it could not publish
    stays here for the sweeper. Arguments are ids only, never PHI.
    """

    task = models.CharField(max_length=120)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"

    def get_absolute_url(self) -> str:
        return "/healthz"
