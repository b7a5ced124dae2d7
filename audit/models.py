from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse

from ipnb_notes.triggers import append_only

# The event number comes from this sequence at INSERT: one statement, no lock shared with
# other requests. Numbers follow insertion, not commit, and a rolled-back event leaves a gap.
EVENT_SEQUENCE = "audit_event_seq"


class AuditEvent(models.Model):
    """One thing someone did or read. Append-only in PostgreSQL; `hash` is the event's own
    HMAC, and a seal (AuditSeal) chains it to the trail after its transaction has committed.

    `seq` is the event's number (insertion order, what the report shows and sorts by); its
    place in the hash chain is its seal's `position`. `xid` is the inserting transaction,
    which tells the sealer when the event is committed. `prev_hash` is set only on events
    written before sealing existed, which were chained at insert.

    `changes` holds old and new values of account and assignment fields, never clinical
    text: PHI stays out of the audit trail.
    """

    seq = models.BigIntegerField(
        unique=True,
        db_default=models.Func(
            models.Value(EVENT_SEQUENCE),
            function="nextval",
            output_field=models.BigIntegerField(),
        ),
    )
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_code = models.CharField(max_length=64, blank=True)
    client_code = models.UUIDField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    xid = models.BigIntegerField(
        editable=False,
        db_default=Cast(
            Cast(models.Func(function="pg_current_xact_id"), models.TextField()),
            models.BigIntegerField(),
        ),
    )

    class Meta:
        ordering = ["seq"]
        indexes = [
            # The sealer and the unsealed-age probe look only above the sealed horizon.
            models.Index(fields=["xid"], name="audit_event_xid_idx"),
            # "Who opened this client's record?" (audit report, emergency-access notices)
            models.Index(fields=["client_code", "at"], name="audit_client_at_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
        ]
        triggers = append_only("the audit trail")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type} {self.target_code}"

    def get_absolute_url(self) -> str:
        return reverse("audit:event_list") + f"?seq={self.seq}"


class AuditSeal(models.Model):
    """An event's place in the hash chain, written by the sealer after the event committed.

    `hash` is the HMAC of (position, event id, event number, event hash, previous seal's
    hash). `horizon` is the oldest transaction still running when the seal was made: every
    event of an older transaction is sealed at or before this seal. Append-only, like the
    events."""

    position = models.BigIntegerField(primary_key=True)
    # No foreign-key constraint: neither table allows DELETE, and a seal whose event was
    # removed behind the triggers' back must stay for the verifier to name it.
    event = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, related_name="seal", db_constraint=False
    )
    event_seq = models.BigIntegerField()
    horizon = models.BigIntegerField()
    sealed_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]
        triggers = append_only("the audit seal table")

    def __str__(self) -> str:
        return f"seal {self.position} of event #{self.event_seq}"
