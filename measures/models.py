"""Administrations of the PHQ-9 and GAD-7, the one-time links through which clients complete
them, and the risk alerts an answer on the PHQ-9's item 9 raises."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ipnb_notes.fields import EncryptedJSONField, EncryptedTextField
from measures.instruments import (
    CHECKINS,
    CHOICES,
    LINK_CHOICES,
    PRACTICE_KEY_PREFIX,
    PRACTICE_STATUS,
    Band,
    CheckIn,
    Instrument,
)
from measures.instruments import spec_for as registry_spec_for

LINK_LIFETIME = timedelta(days=7)


def _link_expiry():
    return timezone.now() + LINK_LIFETIME


class Administration(models.Model):
    """One completed questionnaire. The answers are clinical data (encrypted, bound to the
    row); the total, band and risk flag are plain so that pages and dashboards can read them."""

    class Mode(models.TextChoices):
        CLINICIAN = "CLINICIAN", "With the clinician"
        LINK = "LINK", "By the client, through a link"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="administrations"
    )
    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administrations",
    )
    instrument = models.CharField(max_length=10, choices=CHOICES)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    # {"answers": [0..3 or null, one per item]}
    responses = EncryptedJSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=20, blank=True)
    unanswered = models.PositiveSmallIntegerField(default=0)
    risk_flag = models.BooleanField(default=False)
    completed_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    link = models.OneToOneField(
        "MeasureLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administration",
    )

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            # The client page: first and latest score per instrument.
            models.Index(
                fields=["client", "instrument", "completed_at"],
                name="administration_client_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(unanswered=0),
                name="administration_total_only_when_complete",
            ),
            models.CheckConstraint(
                condition=Q(mode="CLINICIAN", recorded_by__isnull=False)
                | Q(mode="LINK", link__isnull=False),
                name="administration_mode_has_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} of {self.completed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("measures:administration_detail", args=[self.code])

    @property
    def spec(self) -> Instrument:
        return spec_for(self.instrument)

    def get_instrument_display(self) -> str:
        return self.spec.name

    @property
    def band_label(self) -> str:
        return self.spec.band_label(self.band)

    @property
    def why_no_total(self) -> str:
        n = self.unanswered
        if not n:
            return ""
        return f"{n} item{'s' if n != 1 else ''} unanswered: the total is not computed"


class MeasureLinkQuerySet(models.QuerySet["MeasureLink"]):
    def usable(self) -> MeasureLinkQuerySet:
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class MeasureLink(models.Model):
    """A one-time link through which a client completes one questionnaire. Only the SHA-256
    of its token is kept. When the therapist asks for it to be emailed, the token and the
    address wait encrypted (bound to this row) until the email task has sent them, then are
    erased."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="measure_links"
    )
    instrument = models.CharField(max_length=10, choices=LINK_CHOICES)
    # The session a check-in link asks about (None for the scored questionnaires).
    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkin_links",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_link_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    mail_to = EncryptedTextField(blank=True)
    mail_token = EncryptedTextField(blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)
    # Created by the client's schedule (MeasureSchedule), not by a therapist's request.
    scheduled = models.BooleanField(default=False)
    # A scheduled link not emailed: its token waits encrypted until the therapist has it
    # shown once to copy (measures.services.link_reveal), then is erased.
    held_token = EncryptedTextField(blank=True)

    objects = MeasureLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The schedule never makes two links for one session and questionnaire.
            models.UniqueConstraint(
                fields=["session", "instrument"],
                condition=Q(scheduled=True),
                name="measurelink_one_scheduled_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} link of {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        if self.session_id:
            return reverse("sessions:session_detail", args=[self.session.code])
        return reverse("clients:client_detail", args=[self.client.code]) + "#measures"

    @property
    def spec(self) -> Instrument | CheckIn:
        return spec_for(self.instrument)

    def get_instrument_display(self) -> str:
        return self.spec.name

    @property
    def is_checkin(self) -> bool:
        return self.instrument in CHECKINS

    @property
    def state(self) -> str:
        if self.used_at:
            return "Completed"
        if self.revoked_at:
            return "Revoked"
        if self.expires_at <= timezone.now():
            return "Expired"
        return "Open"

    @property
    def waiting_to_copy(self) -> bool:
        """A scheduled link, not emailed, whose address the therapist has not had shown."""
        return bool(self.held_token) and self.state == "Open"


class RiskAlert(models.Model):
    """Raised at once when an answer on the PHQ-9's item 9 is above 0, whatever the total. It
    stays until a clinician on the client's caseload records what was done."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, related_name="risk_alert"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="risk_alerts"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action_taken = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            # The home pages and the client page: open alerts of a caseload.
            models.Index(
                fields=["client", "raised_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="riskalert_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk alert of {self.raised_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("measures:alert_acknowledge", args=[self.code])

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class SessionCheckIn(models.Model):
    """One answer to the post-session check-in (measures.instruments.CHECKINS): by the client
    through a link, or the therapist's mirror. The answers are clinical data (encrypted,
    bound to the row)."""

    class Respondent(models.TextChoices):
        CLIENT = "CLIENT", "Client"
        THERAPIST = "THERAPIST", "Therapist"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.PROTECT,
        related_name="checkins",
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="checkins"
    )
    respondent = models.CharField(max_length=10, choices=Respondent.choices)
    # {"tension": bool, "intensity": 1..5 or null, "resolution": 1..5 or null, "safety": 1..5}
    responses = EncryptedJSONField()
    completed_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    link = models.OneToOneField(
        MeasureLink,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkin",
    )

    class Meta:
        ordering = ["completed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(respondent="THERAPIST", recorded_by__isnull=False)
                | Q(respondent="CLIENT", link__isnull=False),
                name="checkin_respondent_has_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_respondent_display()}'s check-in of {self.completed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("sessions:session_detail", args=[self.session.code])

    @property
    def tension(self) -> bool:
        return bool(self.responses.get("tension"))

    @property
    def unresolved(self) -> bool:
        """Tension felt and resolved at most 2 of 5 by the end of the session."""
        resolution = self.responses.get("resolution")
        return self.tension and resolution is not None and resolution <= 2

    @property
    def line(self) -> str:
        """How the answer reads on the session timeline."""
        who = "Client's" if self.respondent == self.Respondent.CLIENT else "Therapist's"
        r = self.responses
        if not self.tension:
            text = "no tension" if self.respondent == "CLIENT" else "noticed no tension"
        else:
            felt = "felt tension" if self.respondent == "CLIENT" else "noticed tension"
            state = "not resolved" if self.unresolved else "resolved"
            text = f"{felt}, {state}"
            if r.get("intensity"):
                text += f" (intensity {r['intensity']}/5)"
        if r.get("safety"):
            text += f"; safe and understood {r['safety']}/5"
        return f"{who} check-in: {text}"


class MeasureSchedule(models.Model):
    """How often the client is asked one questionnaire or the check-in: at their first
    session and every `every`-th session after it (1 = every session). The links follow
    from it (measures.services.schedule_run): before the session for a questionnaire,
    after an attended session for the check-in."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="measure_schedules"
    )
    instrument = models.CharField(max_length=10, choices=LINK_CHOICES)
    every = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "instrument"],
                name="measureschedule_one_per_instrument",
            ),
            models.CheckConstraint(
                condition=Q(every__gte=1, every__lte=52),
                name="measureschedule_every_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} every {self.every} session(s)"

    def get_absolute_url(self) -> str:
        return reverse("measures:schedule", args=[self.client.code])

    def get_instrument_display(self) -> str:
        return spec_for(self.instrument).name


class MeasuresPolicy(models.Model):
    """The practice's one row of measure settings, edited by practice admins."""

    email_scheduled_links = models.BooleanField(
        "Email scheduled links to clients who have an email address",
        default=False,
        help_text="The email names the practice and carries the link, nothing else. "
        "When off, or when the client has no email address, the link waits on the "
        "client's schedule page for the therapist to copy.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "measures policy"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="measurespolicy_singleton")
        ]

    def __str__(self) -> str:
        return "Measures policy"

    def get_absolute_url(self) -> str:
        return reverse("measures:practice_measures")

    @classmethod
    def current(cls) -> MeasuresPolicy:
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class PracticeInstrument(models.Model):
    """A short questionnaire a practice admin defines: items, one response scale (scored 0 to
    n-1 in the order of its labels), the total as the sum, optional bands. Shown everywhere
    as defined by the practice and non-standardised; no reliable change is computed for it.
    It cannot be changed once defined, so that every score of it means the same thing: it is
    retired (and a new one defined) instead."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What administrations, links and schedules store as their instrument ("PI-" + 7 hex).
    key = models.CharField(max_length=10, unique=True, editable=False)
    name = models.CharField(max_length=60, unique=True)
    question = models.CharField(max_length=300, blank=True)
    items = models.JSONField()  # ["item text", ...]
    scale = models.JSONField()  # ["label of 0", "label of 1", ...]
    bands = models.JSONField(default=list, blank=True)  # [[low, high, "label"], ...]
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key__startswith=PRACTICE_KEY_PREFIX),
                name="practiceinstrument_key_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("measures:practice_measures") + f"#instrument-{self.code}"

    STATE_LABELS = {True: "In use", False: "Retired"}

    @property
    def state_label(self) -> str:
        return self.STATE_LABELS[self.active]

    @property
    def spec(self) -> Instrument:
        items = tuple(self.items)
        options = tuple(enumerate(self.scale))
        return Instrument(
            code=self.key,
            name=self.name,
            full_name=self.name,
            loinc="",
            reference="",
            recall_period="",
            question=self.question,
            items=items,
            bands=tuple(
                Band(f"B{n}", low, high, label)
                for n, (low, high, label) in enumerate(self.bands, start=1)
            ),
            change=None,
            options=options,
            attribution="",
            status=PRACTICE_STATUS,
            practice_code=str(self.code),
        )


# Specs of practice instruments by key. A definition never changes (retiring it changes no
# spec), so a spec read once serves the process for good.
_practice_specs: dict[str, Instrument] = {}


def practice_specs(keys) -> dict[str, Instrument]:
    """The specs of these practice instrument keys, in at most one query."""
    missing = [k for k in set(keys) if k not in _practice_specs]
    if missing:
        for row in PracticeInstrument.objects.filter(key__in=missing):
            _practice_specs[row.key] = row.spec
    return {k: _practice_specs[k] for k in keys if k in _practice_specs}


def spec_for(code: str) -> Instrument | CheckIn:
    """The instrument or check-in a stored code names: the registry's, or the practice's."""
    if code.startswith(PRACTICE_KEY_PREFIX):
        found = practice_specs([code]).get(code)
        if found is None:
            raise KeyError(code)
        return found
    return registry_spec_for(code)


class PracticeAdministration(models.Model):
    """One completed instrument the practice defined (PracticeInstrument). Kept apart from
    Administration, so that no outcome statistic, reliable change or dashboard built on the
    standardised instruments can take in a non-standardised score. Answers are clinical data
    (encrypted, bound to the row); total and band are plain for the pages."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="practice_scores"
    )
    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="practice_scores",
    )
    # The instrument's key (what links and schedules store too), as a foreign key.
    instrument = models.ForeignKey(
        PracticeInstrument,
        to_field="key",
        db_column="instrument",
        on_delete=models.PROTECT,
        related_name="administrations",
    )
    mode = models.CharField(max_length=10, choices=Administration.Mode.choices)
    responses = EncryptedJSONField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=20, blank=True)
    unanswered = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    link = models.OneToOneField(
        MeasureLink,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="practice_score",
    )

    # No risk item on an instrument the practice defined: never a risk alert.
    risk_flag = False
    risk_alert = None

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            models.Index(
                fields=["client", "instrument", "completed_at"],
                name="practice_score_client_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(unanswered=0),
                name="practice_score_total_only_when_complete",
            ),
            models.CheckConstraint(
                condition=Q(mode="CLINICIAN", recorded_by__isnull=False)
                | Q(mode="LINK", link__isnull=False),
                name="practice_score_mode_has_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spec.name} of {self.completed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("measures:practice_score_detail", args=[self.code])

    @property
    def spec(self) -> Instrument:
        if "instrument" in self._state.fields_cache:  # read with its instrument
            return self.instrument.spec
        return spec_for(self.instrument_id)

    def get_instrument_display(self) -> str:
        return self.spec.name

    @property
    def band_label(self) -> str:
        return self.spec.band_label(self.band)

    why_no_total = Administration.why_no_total
