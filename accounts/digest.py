"""The clinicians' daily email digest: counts and a link, never a client's name.

Each therapist or supervisor with something to do hears, once a day at `settings.DIGEST_HOUR`
(the practice's time zone), how many notes they have to write (attended sessions whose note
is not signed: none yet, or a draft) and how many of those are late by the practice's
threshold (`ipnb_notes.practice`), how many of their notes were returned for revision and,
for a supervisor, how many notes await their co-signature. Someone with nothing to do, or who
turned the digest off on their account page, gets nothing.

- `counts()` reads the whole practice in a fixed number of statements (not one per user). The
  rules are the home page's lists (`sessions/services/notes/home.py`) and
  `access.cosignature_queue`, stated set-based; tests/accounts/test_digest.py compares the
  two for every user so that they cannot drift.
- `plan()` records one `DailyDigest` row per user and day (unique) and queues their emails
  through the outbox in the same transaction; `send()` emails one row once (locked, skipped
  when already sent). A beat task run twice or a retried worker therefore sends nothing twice.

This is the one module of `accounts` that reads `sessions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import audit
from accounts.models import DailyDigest, Supervision, User
from clients.models import CaseAssignment
from ipnb_notes import batch, outbox, practice
from sessions.models import ProgressNote, TherapySession

# Who receives a digest: the clinicians (practice admins read no clinical record).
RECIPIENT_ROLES = (User.Role.THERAPIST, User.Role.SUPERVISOR)


@dataclass(frozen=True)
class Counts:
    """What one clinician has to do today."""

    to_write: int = 0
    late: int = 0
    returned: int = 0
    cosign: int = 0

    def __bool__(self) -> bool:
        return bool(self.to_write or self.returned or self.cosign)


def _ends_at(prefix: str = "") -> ExpressionWrapper:
    """A session's end (`TherapySession.ends_at`) in SQL."""
    minutes = ExpressionWrapper(
        F(f"{prefix}duration_minutes") * Value(timedelta(minutes=1)),
        output_field=DurationField(),
    )
    return ExpressionWrapper(
        F(f"{prefix}starts_at") + minutes, output_field=DateTimeField()
    )


def _on_caseload(user_field: str) -> Q:
    """The row's client is on the caseload of the user in `user_field`: their own, or (for
    a supervisor) a current supervisee's, as `access.visible_clients` says. Emergency access
    is left out: it opens a record to read, never one's own sessions or notes to write."""
    own = CaseAssignment.objects.current().filter(
        client_id=OuterRef("client_id"), therapist_id=OuterRef(user_field)
    )
    supervised = CaseAssignment.objects.current().filter(
        client_id=OuterRef("client_id"),
        therapist_id__in=Supervision.objects.current()
        .filter(supervisor_id=OuterRef(OuterRef(user_field)))
        .values("supervisee_id"),
    )
    role = user_field.removesuffix("_id") + "__role"
    return Q(Exists(own)) | (Q(**{role: User.Role.SUPERVISOR}) & Exists(supervised))


def counts(*, now: datetime | None = None) -> dict[int, Counts]:
    """Counts of every clinician who has something to do and wants the digest, by user id.
    Two round trips whatever the number of users (the threshold, then one batch)."""
    now = now or timezone.now()
    late_before = now - practice.note_late_after()
    Status = ProgressNote.Status
    recipients = (
        User.objects.filter(is_active=True, role__in=RECIPIENT_ROLES, digest_email=True)
        .values_list("id", flat=True)
        .order_by()
    )
    # The home's "notes to write": attended sessions, begun, without a note.
    unwritten = (
        TherapySession.objects.filter(
            status=TherapySession.Status.ATTENDED, starts_at__lt=now, note__isnull=True
        )
        .filter(_on_caseload("therapist_id"))
        .alias(ends_at=_ends_at())
        .values("therapist_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(ends_at__lt=late_before)))
        .order_by()
    )
    # The home's drafts and returned notes, by their author.
    notes = (
        ProgressNote.objects.filter(status__in=[Status.DRAFT, Status.RETURNED])
        .filter(_on_caseload("author_id"))
        .alias(ends_at=_ends_at("session__"))
        .values("author_id")
        .annotate(
            drafts=Count("id", filter=Q(status=Status.DRAFT)),
            drafts_late=Count(
                "id", filter=Q(status=Status.DRAFT, ends_at__lt=late_before)
            ),
            returned=Count("id", filter=Q(status=Status.RETURNED)),
        )
        .order_by()
    )
    # access.cosignature_queue, for every supervisor at once.
    queues = (
        Supervision.objects.current()
        .filter(requires_cosignature=True)
        .values("supervisor_id")
        .annotate(
            n=Count(
                "supervisee__notes",
                filter=Q(supervisee__notes__status=Status.AWAITING_COSIGNATURE),
                distinct=True,
            )
        )
        .order_by()
    )
    recipients, unwritten, notes, queues = batch.fetch(
        recipients, unwritten, notes, queues
    )
    by_user: dict[int, dict[str, int]] = {pk: {} for pk in recipients}
    for row in unwritten:
        if (c := by_user.get(row["therapist_id"])) is not None:
            c["to_write"] = c.get("to_write", 0) + row["n"]
            c["late"] = c.get("late", 0) + row["late"]
    for row in notes:
        if (c := by_user.get(row["author_id"])) is not None:
            c["to_write"] = c.get("to_write", 0) + row["drafts"]
            c["late"] = c.get("late", 0) + row["drafts_late"]
            c["returned"] = row["returned"]
    for row in queues:
        if (c := by_user.get(row["supervisor_id"])) is not None:
            c["cosign"] = row["n"]
    result = {pk: Counts(**c) for pk, c in by_user.items()}
    return {pk: c for pk, c in result.items() if c}


def plan(*, now: datetime | None = None) -> list[int]:
    """Record today's digests and queue their emails, in one transaction. A user who already
    has today's row keeps it (the unique (user, day) row), so a second run queues again only
    the rows not yet sent (their send is idempotent). Returns the ids queued."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    todo = counts(now=now)
    with transaction.atomic():
        DailyDigest.objects.bulk_create(
            [
                DailyDigest(
                    user_id=pk,
                    day=day,
                    to_write=c.to_write,
                    late=c.late,
                    returned=c.returned,
                    cosign=c.cosign,
                )
                for pk, c in todo.items()
            ],
            ignore_conflicts=True,
        )
        ids = list(
            DailyDigest.objects.filter(day=day, sent_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if ids:
            outbox.enqueue("accounts.tasks.digest_send", *ids)
    return ids


def site_link(name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name)


def send(digest_id: int) -> bool:
    """Email one digest, once: the row is locked and marked sent in the transaction that
    hands the email over. A user who has since turned the digest off, or left, gets nothing
    (the row is dropped). True when an email went out."""
    with transaction.atomic():
        row = (
            DailyDigest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=digest_id, sent_at__isnull=True)
            .first()
        )
        if row is None:
            return False  # sent already, or being sent by another worker
        user = row.user
        if not (user.is_active and user.role in RECIPIENT_ROLES and user.digest_email):
            row.delete()
            return False
        context = email_context(row)
        send_mail(
            subject=render_to_string("emails/digest-subject.txt", context).strip(),
            message=render_to_string("emails/digest-body.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
        row.sent_at = timezone.now()
        row.save(update_fields=["sent_at"])
    return True


def email_context(row: DailyDigest) -> dict:
    """What the email says: counts, the labels the app shows for them, and links."""
    Status = ProgressNote.Status
    return {
        "user": row.user,
        "digest": row,
        "late_hours": practice.note_late_hours(),
        "returned_label": Status.RETURNED.label,
        "cosign_label": Status.AWAITING_COSIGNATURE.label,
        "home_link": site_link("home"),
        "settings_link": site_link("account_reminders"),
    }


class DigestPreferenceForm(forms.Form):
    """The user's own preference; label and help are the model field's."""

    digest_email = forms.BooleanField(
        required=False,
        label=User._meta.get_field("digest_email").verbose_name,
        help_text=User._meta.get_field("digest_email").help_text,
    )


def send_time() -> time:
    """When the digest goes out, in the practice's time zone (the beat schedule's hour)."""
    return time(hour=settings.DIGEST_HOUR)


def set_preference(*, user: User, enabled: bool, request: HttpRequest | None = None):
    """Turn the user's own daily digest on or off; audited with old and new values.
    An unchanged value writes nothing."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old = locked.digest_email
        if old == enabled:
            return user
        locked.digest_email = enabled
        locked.save(update_fields=["digest_email"])
        audit.record(
            "user.digest_preference",
            actor=user,
            request=request,
            target=user,
            changes={"digest_email": [old, enabled]},
        )
    user.digest_email = enabled
    return user
