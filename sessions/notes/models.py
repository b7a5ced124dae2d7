"""Sessions and the clinical record: progress notes, signatures, addenda, comments, process notes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ipnb_notes.fields import EncryptedJSONField, EncryptedTextField
from ipnb_notes.triggers import flag_from_children, marks_parent
from sessions.scheduling.vocabulary import STATUS_FOR, CancelReason

# Columns that may change while a note waits for co-signature; everything else is locked.
_REVIEW_COLUMNS = "'status', 'cosigned_by_id', 'cosigned_at', 'signed_at', 'signed_by_id', 'version', 'updated_at'"

# The tables the two `has_note` triggers name (the sessions' and the notes').
_SESSION_TABLE = "therapy_sessions_therapysession"
_NOTE_TABLE = "therapy_sessions_progressnote"


class TherapySession(models.Model):
    class Modality(models.TextChoices):
        INDIVIDUAL = "INDIVIDUAL", "Individual"
        COUPLE = "COUPLE", "Couple"
        FAMILY = "FAMILY", "Family"
        GROUP = "GROUP", "Group"

    class Setting(models.TextChoices):
        IN_PERSON = "IN_PERSON", "In person"
        TELEHEALTH = "TELEHEALTH", "Telehealth"

    class Status(models.TextChoices):
        SCHEDULED = "SCHEDULED", "Scheduled"
        ATTENDED = "ATTENDED", "Attended"
        CANCELLED = "CANCELLED", "Cancelled"
        LATE_CANCELLED = "LATE_CANCELLED", "Late-cancelled"
        NO_SHOW = "NO_SHOW", "No-show"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="sessions"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions"
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    modality = models.CharField(
        max_length=12, choices=Modality.choices, default=Modality.INDIVIDUAL
    )
    setting = models.CharField(
        max_length=12, choices=Setting.choices, default=Setting.IN_PERSON
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    service_code = models.CharField(
        max_length=10, blank=True, help_text="e.g. CPT 90837"
    )
    idempotency_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    # A recurring appointment's series (sessions/scheduling/), and why a session that did not
    # take place was cancelled (sessions/scheduling/vocabulary.py).
    series = models.ForeignKey(
        "therapy_sessions.SessionSeries",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    cancel_reason = models.CharField(
        max_length=10, choices=CancelReason.choices, blank=True
    )
    # Whether a progress note exists for this session, kept by the database alone: the
    # notes' trigger `note_marks_session` sets it in the note's own transaction, and
    # `has_note_from_notes` recomputes it from the notes whenever an UPDATE would change it
    # (a model instance read before its note was written, saved whole, cannot clear it).
    # The home's "notes to write" reads it through `session_unwritten_idx`.
    has_note = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=600),
                name="session_duration_range",
            ),
            # A reason is only kept while the session is in a status a reason leaves it in
            # (cancelled, late-cancelled, no-show: scheduling.vocabulary.STATUS_FOR).
            models.CheckConstraint(
                condition=Q(cancel_reason="")
                | Q(status__in=sorted(set(STATUS_FOR.values()))),
                name="session_cancel_reason_status",
            ),
        ]
        indexes = [
            # Client timeline and "last/next session" lookups.
            models.Index(
                fields=["client", "starts_at"], name="session_client_start_idx"
            ),
            # Home page: today's sessions and unsigned notes of one therapist. It carries the
            # length and status so the practice week's busy blocks (every clinician's week)
            # are read from the index alone.
            models.Index(
                fields=["therapist", "starts_at"],
                include=["duration_minutes", "status"],
                name="session_therapist_start_idx",
            ),
            # Home: a clinician's sessions that have started but are still "Scheduled" (a
            # few rows among thousands of the clinician's sessions, read without the rest).
            models.Index(
                fields=["therapist", "starts_at"],
                condition=Q(status="SCHEDULED"),
                name="session_scheduled_start_idx",
            ),
            # Home: a clinician's attended sessions without a note ("notes to write"): the
            # few rows to write among thousands written, read without probing the notes.
            models.Index(
                fields=["therapist", "starts_at"],
                condition=Q(status="ATTENDED", has_note=False),
                name="session_unwritten_idx",
            ),
        ]
        triggers = [
            # `has_note` says what the notes say, whoever writes the session row.
            flag_from_children(
                "has_note_from_notes",
                flag="has_note",
                child=_NOTE_TABLE,
                fk="session_id",
            )
        ]

    def __str__(self) -> str:
        return f"Session {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("sessions:session_detail", args=[self.code])

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class ProgressNote(models.Model):
    """The progress note of one attended session: part of the record, signed and then locked."""

    class Format(models.TextChoices):
        SOAP = "SOAP", "SOAP"
        DAP = "DAP", "DAP"
        BIRP = "BIRP", "BIRP"
        GIRP = "GIRP", "GIRP"
        PIRP = "PIRP", "PIRP"
        NARRATIVE = "NARRATIVE", "Narrative"

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        AWAITING_COSIGNATURE = "AWAITING_COSIGNATURE", "Awaiting co-signature"
        RETURNED = "RETURNED", "Needs revision"
        SIGNED = "SIGNED", "Signed"

    class Risk(models.TextChoices):
        NOT_ASSESSED = "", "Not assessed"
        NONE = "NONE", "None reported or observed"
        DENIED = "DENIED", "Denied when asked"
        PRESENT = "PRESENT", "Present"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.OneToOneField(
        TherapySession, on_delete=models.PROTECT, related_name="note"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes"
    )
    format = models.CharField(
        max_length=10, choices=Format.choices, default=Format.SOAP
    )
    # {"subjective": "...", "objective": "...", ...}: one key per section of the format.
    sections = EncryptedJSONField(blank=True)
    goals_addressed = models.ManyToManyField(
        "clients.TreatmentGoal", blank=True, related_name="notes"
    )
    interventions = ArrayField(
        models.CharField(max_length=40), default=list, blank=True
    )
    risk_suicidal_ideation = models.CharField(
        max_length=8, choices=Risk.choices, blank=True
    )
    risk_self_harm = models.CharField(max_length=8, choices=Risk.choices, blank=True)
    risk_harm_to_others = models.CharField(
        max_length=8, choices=Risk.choices, blank=True
    )
    risk_details = EncryptedTextField(
        blank=True, help_text="Plan and follow-up where a risk is present"
    )
    plan = EncryptedTextField(blank=True)
    next_session_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=22, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        indexes = [
            # Home page: drafts and returned notes of one author.
            models.Index(fields=["author", "status"], name="note_author_status_idx"),
            models.Index(fields=["client", "signed_at"], name="note_client_signed_idx"),
            # The notes still being written (a few hundred in a practice): the supervision
            # dashboard's "notes late now" reads them from here, not by probing every
            # attended session's note.
            models.Index(
                fields=["session"],
                condition=models.Q(status__in=["DRAFT", "RETURNED"]),
                name="note_open_session_idx",
            ),
        ]
        triggers = [
            # A signed note is immutable in the database itself, whatever the application does.
            pgtrigger.Trigger(
                name="signed_note_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=f"""
                IF TG_OP = 'DELETE' THEN
                    IF OLD.status <> 'DRAFT' THEN
                        RAISE EXCEPTION 'progress note % is signed and cannot be deleted', OLD.code;
                    END IF;
                    RETURN OLD;
                END IF;
                IF OLD.status = 'SIGNED' THEN
                    RAISE EXCEPTION 'progress note % is signed and locked: add an addendum', OLD.code;
                END IF;
                IF OLD.status = 'AWAITING_COSIGNATURE' AND (
                    NEW.status NOT IN ('AWAITING_COSIGNATURE', 'SIGNED', 'RETURNED')
                    OR (to_jsonb(NEW) - ARRAY[{_REVIEW_COLUMNS}])
                       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[{_REVIEW_COLUMNS}])
                ) THEN
                    RAISE EXCEPTION 'progress note % awaits co-signature: its content is locked', OLD.code;
                END IF;
                RETURN NEW;
                """,
            ),
            # The session knows it has a note, in the note's own transaction. A draft may be
            # deleted (the trigger above allows it) and a draft's session changed: both are
            # followed. Each UPDATE touches the session only when its flag is to change, and
            # `has_note_from_notes` on the session sets the flag from the notes themselves.
            marks_parent(
                "note_marks_session",
                fk="session_id",
                parent=_SESSION_TABLE,
                flag="has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} note, {self.session}"

    def get_absolute_url(self) -> str:
        return reverse("sessions:note_detail", args=[self.code])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.SIGNED


class NoteSignature(models.Model):
    """Every signature ever given to a note, kept even when a returned note is signed again."""

    class Kind(models.TextChoices):
        AUTHOR = "AUTHOR", "Signed by author"
        COSIGN = "COSIGN", "Co-signed by supervisor"
        RETURN = "RETURN", "Returned for revision"

    note = models.ForeignKey(
        ProgressNote, on_delete=models.PROTECT, related_name="signatures"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(
        max_length=220, help_text="Name and credentials at the time of signing"
    )
    attestation = models.TextField()
    content_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        triggers = [
            pgtrigger.Protect(
                name="signature_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.signer_name}"

    def get_absolute_url(self) -> str:
        return self.note.get_absolute_url()


class Addendum(models.Model):
    """A correction or addition after signing: written, signed and never changed."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(
        ProgressNote, on_delete=models.PROTECT, related_name="addenda"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = EncryptedTextField()
    signer_name = models.CharField(max_length=220)
    attestation = models.TextField()
    content_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    idempotency_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        ordering = ["signed_at", "id"]
        triggers = [
            pgtrigger.Protect(
                name="addendum_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"Addendum {self.signed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return self.note.get_absolute_url() + f"#addendum-{self.code}"


class SupervisionComment(models.Model):
    """A supervisor's comment on a supervisee's note, optionally anchored to one event."""

    class Kind(models.TextChoices):
        COMMENT = "COMMENT", "Supervision comment"
        RETURN = "RETURN", "Returned for revision"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(
        ProgressNote, on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.COMMENT)
    text = EncryptedTextField()
    # e.g. ("rupture", <code>): the comment is shown beside that moment.
    anchor_type = models.CharField(max_length=20, blank=True)
    anchor_code = models.UUIDField(null=True, blank=True)
    # Or a section of the note ("subjective", "plan"): shown beside that section.
    anchor_section = models.CharField(max_length=40, blank=True)
    idempotency_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A comment opens a thread (replies: CommentReply); either side may mark it resolved.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="comment_one_anchor",
                condition=Q(anchor_section="")
                | (Q(anchor_type="") & Q(anchor_code__isnull=True)),
            ),
            models.CheckConstraint(
                name="comment_resolved_by_whom",
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | Q(resolved_at__isnull=False, resolved_by__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["note"],
                condition=Q(kind="COMMENT", resolved_at__isnull=True),
                name="comment_open_threads",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author}"

    def get_absolute_url(self) -> str:
        return self.note.get_absolute_url() + f"#comment-{self.code}"

    def get_thread_url(self) -> str:
        """The thread on the session page, where the author and the supervisor both see it
        beside its moment or section (the note page sends the author of a note being
        revised to the editor)."""
        return self.note.session.get_absolute_url() + f"#comment-{self.code}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class PsychotherapyNote(models.Model):
    """HIPAA psychotherapy (process) note: its own table, visible to its author alone.

    Excluded from every export, dashboard, supervisor view and admin screen.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        TherapySession, on_delete=models.PROTECT, related_name="process_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="process_notes"
    )
    text = EncryptedTextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "author"], name="one_process_note_per_author"
            )
        ]

    def __str__(self) -> str:
        return "Process note"

    def get_absolute_url(self) -> str:
        return reverse("sessions:process_note", args=[self.session.code])


INTERVENTIONS = [
    ("MINDFULNESS_SOMATIC", "Mindfulness and somatic awareness"),
    ("NARRATIVE_LINKING", "Narrative linking"),
    ("RELATIONAL_SAFETY", "Relational safety"),
    ("CO_REGULATION", "Co-regulation"),
    ("PSYCHOEDUCATION_IPNB", "Psychoeducation (hand model, window of tolerance)"),
    ("WHEEL_OF_AWARENESS", "Wheel of awareness practice"),
    ("PARTS_WORK", "Parts work"),
    ("METACOMMUNICATION", "Metacommunication about the relationship"),
    ("GROUNDING", "Grounding"),
    ("EMDR", "EMDR"),
    ("CBT", "Cognitive-behavioural techniques"),
    ("OTHER", "Other"),
]


# The pre-sign edit history of progress notes (REL-06): one row per change, encrypted.
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
    # Snapshots of the note's content (sessions.notes.services.revisions.note_snapshot).
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


# Replies in a supervision thread: the supervisee and the supervisor answer a comment.
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
