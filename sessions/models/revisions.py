"""The pre-sign edit history of progress notes (REL-06): one row per change, encrypted."""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from ipnb_notes.fields import EncryptedJSONField
from sessions.models.records import ProgressNote


class NoteRevision(models.Model):
    """One save of a draft (or returned) note that changed its content: the content before and
    after, who saved it, when, and how. Written once, never changed, kept after signing."""

    class Kind(models.TextChoices):
        AUTOSAVE = "AUTOSAVE", "Autosave"
        SAVE = "SAVE", "Save"
        SIGN = "SIGN", "Saved when signing"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(
        ProgressNote, on_delete=models.PROTECT, related_name="revisions"
    )
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The note's version this save produced (the previous content is version - 1's).
    version = models.PositiveIntegerField()
    # Snapshots of the note's content (sessions.services.notes.revisions.note_snapshot).
    previous_content = EncryptedJSONField(blank=True)
    new_content = EncryptedJSONField()
    # Characters of free text after the save, and the change: shown in the list of revisions
    # without decrypting every row.
    size = models.PositiveIntegerField()
    size_change = models.IntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # The note page lists one note's revisions in order.
            models.Index(fields=["note", "at"], name="revision_note_at_idx"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="revision_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("sessions:note_revision", args=[self.code])
