"""Replies in a supervision thread: the supervisee and the supervisor answer a comment."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ipnb_notes.fields import EncryptedTextField
from sessions.models.records import SupervisionComment


class CommentReply(models.Model):
    """One reply in the thread a supervision comment opens. Never on a process note: a
    thread belongs to a progress note, through its comment."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(
        SupervisionComment, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = EncryptedTextField()
    idempotency_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Reply by {self.author}"

    def get_absolute_url(self) -> str:
        return self.thread.get_thread_url()
