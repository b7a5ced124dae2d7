"""The relationship, recorded: attunement, rupture and repair, arousal, integration ratings.

Vocabulary from DOMAIN.md sections 1 to 3. Every rating here is a clinician-rated concept
(CLINICIAN_CONCEPTUAL), not a validated instrument, and is labelled so on screen.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from ipnb_notes.fields import EncryptedTextField
from ipnb_notes.triggers import flag_from_children, marks_parent


class InstrumentStatus(models.TextChoices):
    VALIDATED_STANDARD = "VALIDATED_STANDARD", "Validated instrument"
    VALIDATED_RESEARCH_ADAPTED = (
        "VALIDATED_RESEARCH_ADAPTED",
        "Adapted from a research instrument",
    )
    CLINICIAN_CONCEPTUAL = "CLINICIAN_CONCEPTUAL", "Clinician-rated, non-standardised"
    USER_DEFINED = "USER_DEFINED", "Defined by the practice"


class Scale(NamedTuple):
    """A rating scale's bottom and top (inclusive)."""

    low: int
    high: int

    @property
    def span(self) -> int:
        return self.high - self.low


# The composite's one declared scale: only indicators rated on it may join the composite
# (a constraint below; the indicator form says so beside the field). The trend's
# "declining" threshold follows from it (dashboards.reports.trend_threshold).
COMPOSITE_SCALE = Scale(0, 4)


# The tables the two `repaired` triggers name (the ruptures' and the repairs').
_RUPTURE_TABLE = "therapy_sessions_ruptureevent"
_REPAIR_TABLE = "therapy_sessions_repairevent"


def _scale(low: int, high: int):
    return [MinValueValidator(low), MaxValueValidator(high)]


class SessionEvent(models.Model):
    """What every timestamped event of a session has."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        "therapy_sessions.TherapySession", on_delete=models.CASCADE, related_name="+"
    )
    minute = models.PositiveSmallIntegerField(
        help_text="Minutes from the session start"
    )
    note = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    idempotency_key = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        abstract = True
        ordering = ["minute", "created_at"]

    def get_absolute_url(self) -> str:
        return (
            reverse("sessions:session_detail", args=[self.session.code])
            + f"#event-{self.code}"
        )


class AttunementMoment(SessionEvent):
    class Process(models.TextChoices):
        MATCH = "MATCH", "Match"
        MISMATCH = "MISMATCH", "Mismatch"
        REPAIR = "REPAIR", "Interactive repair"
        MIRRORING = "MIRRORING", "Mirroring"
        SYNCHRONY = "SYNCHRONY", "Synchrony"
        CONTINGENT_RESPONSE = "CONTINGENT_RESPONSE", "Contingent response"
        OTHER = "OTHER", "Other"

    class Cue(models.TextChoices):
        FACIAL_EXPRESSION = "FACIAL_EXPRESSION", "Facial expression"
        PROSODY = "PROSODY", "Prosody / tone of voice"
        SPEECH_TEMPO = "SPEECH_TEMPO", "Speech tempo"
        GAZE = "GAZE", "Gaze / eye contact"
        POSTURE_MOVEMENT = "POSTURE_MOVEMENT", "Posture / movement"
        PRESENCE = "PRESENCE", "Presence"

    class Direction(models.TextChoices):
        THERAPIST_TO_CLIENT = "T_TO_C", "Therapist to client"
        CLIENT_TO_THERAPIST = "C_TO_T", "Client to therapist"
        MUTUAL = "MUTUAL", "Mutual"

    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="attunements",
    )
    process = models.CharField(max_length=20, choices=Process.choices)
    cue_channels = ArrayField(
        models.CharField(max_length=20, choices=Cue.choices), default=list, blank=True
    )
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.MUTUAL
    )
    quality = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_scale(1, 5)
    )

    class Meta(SessionEvent.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(quality__isnull=True) | Q(quality__range=(1, 5)),
                name="attune_quality",
            )
        ]
        indexes = [
            models.Index(fields=["session", "minute"], name="attune_session_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_process_display()} at {self.minute}′"


class RuptureEvent(SessionEvent):
    """A deterioration in the alliance (3RS-informed, tagged by the clinician). Open until repaired."""

    FRAMEWORK_VERSION = "3RS-2015"

    class Type(models.TextChoices):
        WITHDRAWAL = "WITHDRAWAL", "Withdrawal"
        CONFRONTATION = "CONFRONTATION", "Confrontation"

    class Marker(models.TextChoices):
        W1_DENIAL = "3RS2015.W1_DENIAL", "Denial"
        W2_MINIMAL_RESPONSE = "3RS2015.W2_MINIMAL_RESPONSE", "Minimal response"
        W3_ABSTRACT_COMMUNICATION = (
            "3RS2015.W3_ABSTRACT_COMMUNICATION",
            "Abstract communication",
        )
        W4_AVOIDANT_STORYTELLING = (
            "3RS2015.W4_AVOIDANT_STORYTELLING_TOPIC_SHIFT",
            "Avoidant storytelling / shifting topic",
        )
        W5_DEFERENTIAL_APPEASING = (
            "3RS2015.W5_DEFERENTIAL_APPEASING",
            "Deferential and appeasing",
        )
        W6_CONTENT_AFFECT_SPLIT = (
            "3RS2015.W6_CONTENT_AFFECT_SPLIT",
            "Content/affect split",
        )
        W7_SELF_CRITICISM = (
            "3RS2015.W7_SELF_CRITICISM_HOPELESSNESS",
            "Self-criticism / hopelessness",
        )
        C1_COMPLAINTS_THERAPIST = (
            "3RS2015.C1_COMPLAINTS_ABOUT_THERAPIST",
            "Complaints/concerns about the therapist",
        )
        C2_REJECTS_INTERVENTION = (
            "3RS2015.C2_REJECTS_INTERVENTION",
            "Rejects intervention",
        )
        C3_COMPLAINTS_ACTIVITIES = (
            "3RS2015.C3_COMPLAINTS_ABOUT_ACTIVITIES",
            "Complaints about the activities of therapy",
        )
        C4_COMPLAINTS_PARAMETERS = (
            "3RS2015.C4_COMPLAINTS_ABOUT_PARAMETERS",
            "Complaints about the parameters of therapy",
        )
        C5_COMPLAINTS_PROGRESS = (
            "3RS2015.C5_COMPLAINTS_ABOUT_PROGRESS",
            "Complaints about progress",
        )
        C6_DEFENDS_SELF = "3RS2015.C6_DEFENDS_SELF", "Defends self against therapist"
        C7_CONTROL_PRESSURE = (
            "3RS2015.C7_CONTROL_PRESSURE",
            "Efforts to control/pressure the therapist",
        )
        OTHER = "OTHER", "Other"

    class Actor(models.TextChoices):
        CLIENT = "CLIENT", "Client"
        THERAPIST = "THERAPIST", "Therapist"

    class Component(models.TextChoices):
        TASK = "TASK", "Task"
        GOAL = "GOAL", "Goal"
        BOND = "BOND", "Bond"
        UNSPECIFIED = "UNSPECIFIED", "Unspecified"

    class FeltCue(models.TextChoices):
        ANXIETY = "ANXIETY", "Anxiety"
        IRRITATION = "IRRITATION", "Irritation"
        BOREDOM = "BOREDOM", "Boredom / disengagement"
        DEFENSIVENESS = "DEFENSIVENESS", "Defensiveness"
        CONFUSION = "CONFUSION", "Confusion"
        HELPLESSNESS = "HELPLESSNESS", "Helplessness"
        PRESSURE = "PRESSURE", "Pressure to fix"

    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="ruptures",
    )
    # Denormalised from the session: open ruptures are listed per client across sessions.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="ruptures"
    )
    rupture_type = models.CharField(max_length=14, choices=Type.choices)
    markers = ArrayField(
        models.CharField(max_length=48, choices=Marker.choices),
        default=list,
        blank=True,
    )
    framework_version = models.CharField(
        max_length=12, default=FRAMEWORK_VERSION, editable=False
    )
    actor = models.CharField(max_length=10, choices=Actor.choices, default=Actor.CLIENT)
    salience = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_scale(1, 5)
    )
    alliance_component = models.CharField(
        max_length=12, choices=Component.choices, default=Component.UNSPECIFIED
    )
    therapist_felt_cues = ArrayField(
        models.CharField(max_length=16, choices=FeltCue.choices),
        default=list,
        blank=True,
    )
    # Whether a repair has resolved this rupture, kept by the database alone: the repairs'
    # trigger `repair_marks_rupture` sets it in the repair's own transaction (and clears it
    # when the repair is undone), and `repaired_from_repairs` recomputes it from the repairs
    # whenever an UPDATE would change it (an instance read before its repair, saved whole,
    # cannot clear it). Open ruptures are read through `rupture_open_idx`.
    repaired = models.BooleanField(default=False, editable=False)

    class Meta(SessionEvent.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(salience__isnull=True) | Q(salience__range=(1, 5)),
                name="rupture_salience",
            )
        ]
        indexes = [
            models.Index(fields=["session", "minute"], name="rupture_session_idx"),
            models.Index(fields=["client", "created_at"], name="rupture_client_idx"),
            # Open ruptures, per client (the home, the client page, the capture panel, the
            # supervision dashboard, the client rollup): the few unrepaired among hundreds.
            models.Index(
                fields=["client", "session"],
                condition=Q(repaired=False),
                name="rupture_open_idx",
            ),
        ]
        triggers = [
            # `repaired` says what the repairs say, whoever writes the rupture row.
            flag_from_children(
                "repaired_from_repairs",
                flag="repaired",
                child=_REPAIR_TABLE,
                fk="rupture_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rupture_type_display()} rupture at {self.minute}′"

    @staticmethod
    def marker_type(marker: str) -> str | None:
        """WITHDRAWAL or CONFRONTATION for a 3RS marker code; None for OTHER."""
        if ".W" in marker:
            return RuptureEvent.Type.WITHDRAWAL
        if ".C" in marker:
            return RuptureEvent.Type.CONFRONTATION
        return None


class RepairEvent(SessionEvent):
    """Resolves one rupture of the same client, in the same session or a later one."""

    class Strategy(models.TextChoices):
        R1_CLARIFY = "R1_CLARIFY_MISUNDERSTANDING", "Clarifies a misunderstanding"
        R2_CHANGE_TASK = "R2_CHANGE_TASK_OR_GOAL", "Changes tasks or goals"
        R3_RATIONALE = (
            "R3_ILLUSTRATE_TASK_OR_RATIONALE",
            "Illustrates a task or gives the rationale",
        )
        R4_INVITE_DISCUSSION = (
            "R4_INVITE_DISCUSSION_OF_RELATIONSHIP",
            "Invites talk about the relationship",
        )
        R5_ACKNOWLEDGE = "R5_ACKNOWLEDGE_CONTRIBUTION", "Acknowledges own contribution"
        R6_DISCLOSE = (
            "R6_DISCLOSE_INTERNAL_EXPERIENCE",
            "Discloses own experience of the interaction",
        )
        R7_PATTERN_IN = (
            "R7_LINK_TO_PATTERN_IN_THERAPY",
            "Links to a pattern in the therapy relationship",
        )
        R8_PATTERN_OUT = (
            "R8_LINK_TO_PATTERN_OUTSIDE",
            "Links to patterns in other relationships",
        )
        R9_VALIDATE = "R9_VALIDATE_DEFENSIVE_POSTURE", "Validates the defensive stance"
        R10_REDIRECT = "R10_REDIRECT_REFOCUS", "Redirects or refocuses"

    IMMEDIATE = {
        "R1_CLARIFY_MISUNDERSTANDING",
        "R2_CHANGE_TASK_OR_GOAL",
        "R3_ILLUSTRATE_TASK_OR_RATIONALE",
        "R10_REDIRECT_REFOCUS",
    }

    class Outcome(models.TextChoices):
        TALKED_ABOUT_IT = "TALKED_ABOUT_IT", "Talked about what happened"
        FELT_HEARD = "FELT_HEARD", "Felt heard, validated, reconnected"

    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="repairs",
    )
    rupture = models.OneToOneField(
        RuptureEvent, on_delete=models.CASCADE, related_name="repair"
    )
    strategies = ArrayField(
        models.CharField(max_length=40, choices=Strategy.choices),
        default=list,
        blank=True,
    )
    extent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_scale(1, 5)
    )
    outcomes = ArrayField(
        models.CharField(max_length=20, choices=Outcome.choices),
        default=list,
        blank=True,
    )

    class Meta(SessionEvent.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(extent__isnull=True) | Q(extent__range=(1, 5)),
                name="repair_extent",
            )
        ]
        indexes = [
            models.Index(fields=["session", "minute"], name="repair_session_idx")
        ]
        triggers = [
            # The rupture knows it is repaired, in the repair's own transaction. A repair may
            # be undone (deleted) and, in the database, moved to another rupture: both are
            # followed. Each UPDATE touches the rupture only when its flag is to change, and
            # `repaired_from_repairs` on the rupture sets the flag from the repairs themselves.
            marks_parent(
                "repair_marks_rupture",
                fk="rupture_id",
                parent=_RUPTURE_TABLE,
                flag="repaired",
            )
        ]

    def __str__(self) -> str:
        return f"Repair at {self.minute}′"

    @classmethod
    def family(cls, strategy: str) -> str:
        return "IMMEDIATE" if strategy in cls.IMMEDIATE else "EXPLORATORY"


class ArousalObservation(SessionEvent):
    class Zone(models.TextChoices):
        HYPERAROUSAL = "HYPER", "Hyperarousal (above the window)"
        WITHIN = "WITHIN", "Within the window of tolerance"
        HYPOAROUSAL = "HYPO", "Hypoarousal (below the window)"

    class Whose(models.TextChoices):
        """Whose arousal the observation describes: the client's, or the therapist's own
        (co-regulation: the client leaves and re-enters the window while the therapist
        stays within it). Only the client's counts in the client's trajectory."""

        CLIENT = "CLIENT", "Client"
        THERAPIST = "THERAPIST", "Therapist (own arousal)"

    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="arousals",
    )
    zone = models.CharField(max_length=6, choices=Zone.choices)
    whose = models.CharField(max_length=9, choices=Whose.choices, default=Whose.CLIENT)
    at_edge = models.BooleanField(default=False)
    intensity = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_scale(1, 5)
    )

    class Meta(SessionEvent.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(intensity__isnull=True) | Q(intensity__range=(1, 5)),
                name="arousal_intensity",
            )
        ]
        indexes = [
            models.Index(fields=["session", "minute"], name="arousal_session_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_zone_display()} at {self.minute}′"


class SessionTag(SessionEvent):
    """Lightweight tags: parts observed and implicit-memory triggers."""

    class Kind(models.TextChoices):
        PART = "PART", "Part observed"
        TRIGGER = "TRIGGER", "Implicit-memory trigger"

    class Value(models.TextChoices):
        PROTECTIVE_PART = "PROTECTIVE_PART", "Protective part"
        VULNERABLE_PART = "VULNERABLE_PART", "Vulnerable part"
        COMPASSIONATE_SELF = "COMPASSIONATE_SELF", "Compassionate self"
        BODY_SENSATION = "BODY_SENSATION", "Body sensation"
        CONTEXT = "CONTEXT", "Context"

    KIND_OF = {
        "PROTECTIVE_PART": "PART",
        "VULNERABLE_PART": "PART",
        "COMPASSIONATE_SELF": "PART",
        "BODY_SENSATION": "TRIGGER",
        "CONTEXT": "TRIGGER",
    }

    session = models.ForeignKey(
        "therapy_sessions.TherapySession", on_delete=models.CASCADE, related_name="tags"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=20, choices=Value.choices)

    class Meta(SessionEvent.Meta):
        indexes = [models.Index(fields=["session", "minute"], name="tag_session_idx")]

    def __str__(self) -> str:
        return f"{self.get_value_display()} at {self.minute}′"


class CoRegulationMoment(SessionEvent):
    """The therapist acts to help the client's nervous system settle, and how the client
    responds. Clinician-rated; DOMAIN.md has no co-regulation vocabulary (its nearest is
    Tronick's mutual regulation, section 3.2), so the acts are the seed article's own words."""

    class Act(models.TextChoices):
        PACE = "PACE", "Slower pace"
        TONE = "TONE", "Softer tone"
        PRESENCE = "PRESENCE", "Presence"
        BREATH = "BREATH", "Breath"
        NAMING = "NAMING", "Naming"
        GROUNDING = "GROUNDING", "Grounding"

    class Response(models.TextChoices):
        SETTLED = "SETTLED", "Settled"
        NO_CHANGE = "NO_CHANGE", "No change"
        ESCALATED = "ESCALATED", "Escalated"

    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="coregulations",
    )
    acts = ArrayField(
        models.CharField(max_length=10, choices=Act.choices), default=list, blank=True
    )
    client_response = models.CharField(max_length=10, choices=Response.choices)

    class Meta(SessionEvent.Meta):
        indexes = [models.Index(fields=["session", "minute"], name="coreg_session_idx")]

    def __str__(self) -> str:
        return f"Co-regulation at {self.minute}′"


class IntegrationLink(SessionEvent):
    """A moment where the client links what was apart: thoughts with feelings, body
    sensations with meaning, past with present, or a narrative linking. Clinician-rated;
    the codes are the seed article's (DOMAIN.md lists narrative integration as a domain,
    section 2.3, but has no codes for moments of linking)."""

    class Link(models.TextChoices):
        THOUGHT_FEELING = "THOUGHT_FEELING", "Thoughts with feelings"
        BODY_MEANING = "BODY_MEANING", "Body sensations with meaning"
        PAST_PRESENT = "PAST_PRESENT", "Past experience with present understanding"
        NARRATIVE = "NARRATIVE", "Narrative linking"

    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="integration_links",
    )
    link = models.CharField(max_length=16, choices=Link.choices)

    class Meta(SessionEvent.Meta):
        indexes = [models.Index(fields=["session", "minute"], name="link_session_idx")]

    def __str__(self) -> str:
        return f"{self.get_link_display()} at {self.minute}′"


class IntegrationIndicator(models.Model):
    """One clinician-rated indicator of the practice's set. Data, not code: admins extend,
    rename and retire them; retired ones keep their history."""

    class Group(models.TextChoices):
        FACES = "FACES", "FACES qualities"
        RIVER = "RIVER", "River of integration"
        IMPLICIT_MEMORY = "IMPLICIT_MEMORY", "Signs of integrating implicit memory"
        TRIANGLE = "TRIANGLE", "Triangle of well-being"
        DOMAINS = "DOMAINS", "Domains of integration"
        PRACTICE = "PRACTICE", "Practice-defined"

    code = models.SlugField(max_length=40, unique=True)
    group = models.CharField(max_length=16, choices=Group.choices)
    label = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    scale_min = models.SmallIntegerField(default=0)
    scale_max = models.SmallIntegerField(default=4)
    min_label = models.CharField(max_length=40, default="absent")
    max_label = models.CharField(max_length=40, default="strongly present")
    instrument_status = models.CharField(
        max_length=28,
        choices=InstrumentStatus.choices,
        default=InstrumentStatus.CLINICIAN_CONCEPTUAL,
    )
    # Counted in the composite trend line: only on the composite's scale (COMPOSITE_SCALE);
    # the river position is not (it is bipolar).
    in_composite = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")), name="indicator_scale"
            ),
            models.CheckConstraint(
                condition=Q(in_composite=False)
                | Q(scale_min=COMPOSITE_SCALE.low, scale_max=COMPOSITE_SCALE.high),
                name="indicator_composite_scale",
                violation_error_message="Only indicators on the composite's scale may join it.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("sessions:indicator_list")

    @staticmethod
    def composite_scale_error(scale_min, scale_max, in_composite) -> str | None:
        """Why an indicator on this scale may not join the composite (None when it may)."""
        if not in_composite or (scale_min, scale_max) == tuple(COMPOSITE_SCALE):
            return None
        return (
            f"The composite averages indicators rated {COMPOSITE_SCALE.low} to "
            f"{COMPOSITE_SCALE.high}; this one is rated {scale_min} to {scale_max}, so it "
            "cannot be counted in it. Leave “In composite” off, or use the "
            f"{COMPOSITE_SCALE.low} to {COMPOSITE_SCALE.high} scale."
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        error = self.composite_scale_error(
            self.scale_min, self.scale_max, self.in_composite
        )
        if error:
            raise ValidationError({"in_composite": error})

    @property
    def scale(self) -> Scale:
        return Scale(self.scale_min, self.scale_max)

    @property
    def source_anchor(self) -> str:
        """This indicator's entry on the Sources page (ipnb_notes.sources)."""
        from ipnb_notes import sources

        return sources.indicator_anchor(self.group, self.instrument_status)

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class IntegrationRating(models.Model):
    session = models.ForeignKey(
        "therapy_sessions.TherapySession",
        on_delete=models.CASCADE,
        related_name="ratings",
    )
    indicator = models.ForeignKey(
        IntegrationIndicator, on_delete=models.PROTECT, related_name="ratings"
    )
    value = models.SmallIntegerField()
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "indicator"], name="one_rating_per_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value}"

    def get_absolute_url(self) -> str:
        return self.session.get_absolute_url() + "#ratings"
