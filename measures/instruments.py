"""The instruments, declared once. Forms, pages, scoring, change and tests all read this module.

Only public-domain instruments are embedded (DOMAIN.md 4.1-4.2): the PHQ-9 and the GAD-7, with
the wording of the Pfizer release and its credit line. ORS/SRS, WAI and CORE are licensed and
are not embedded here (DOMAIN.md 4.5-4.7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)

# The four answers every item of both instruments shares (DOMAIN.md 4.1).
OPTIONS: tuple[tuple[int, str], ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)

# NHS Talking Therapies (formerly IAPT) outcome rules, DOMAIN.md 4.3. Confirm against the
# current NHS Talking Therapies Manual before relying on them for service statistics.
NHS_SOURCE = (
    "NHS Talking Therapies (IAPT) rules: reliable change and caseness as summarised from the "
    "IAPT Manual (cbtwatch.com) and the PHE Fingertips glossary (caseness)"
)
# What an instrument is, shown beside its name wherever it appears and in exports (one home).
STANDARDISED_STATUS = "Standardised questionnaire, public domain"
PRACTICE_STATUS = "Defined by the practice, non-standardised"
# The stored code of an instrument defined by the practice starts so (measures.models).
PRACTICE_KEY_PREFIX = "PI-"
# Why an instrument defined by the practice shows no reliable change (client page, detail).
PRACTICE_NO_CHANGE = (
    "Reliable change is not computed for instruments defined by the practice: they have no "
    "published reliability or norms from which a reliable change index or a caseness "
    "threshold could be derived."
)
RCI_SOURCE = "Jacobson & Truax (1991), classification RECOVERED / IMPROVED / UNCHANGED / DETERIORATED"


@dataclass(frozen=True)
class Band:
    code: str
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class ChangeParams:
    """Reliable change (raw points) and the caseness threshold used as the fixed cut-off."""

    reliable_change: int
    caseness: int
    preset: str
    source: str


@dataclass(frozen=True)
class Instrument:
    code: str  # DOMAIN.md 4.8 instrument_id
    name: str
    full_name: str
    loinc: str
    reference: str
    recall_period: str
    question: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    change: ChangeParams | None
    # 1-based item whose any answer above 0 raises a risk alert at once (None: no such item).
    risk_item: int | None = None
    options: tuple[tuple[int, str], ...] = OPTIONS
    attribution: str = ATTRIBUTION
    status: str = STANDARDISED_STATUS
    # An instrument defined by the practice: its PracticeInstrument's public code (a UUID).
    practice_code: str = ""

    @property
    def slug(self) -> str:
        return self.code.lower()

    @property
    def is_practice(self) -> bool:
        return bool(self.practice_code)

    @property
    def no_change_reason(self) -> str:
        """Why no reliable change is shown for this instrument ("" when it is)."""
        return "" if self.change else PRACTICE_NO_CHANGE

    @property
    def max_total(self) -> int:
        return len(self.items) * max(value for value, _ in self.options)

    def band_for(self, total: int) -> Band | None:
        """The band of a total; None for an instrument declared without bands."""
        if not self.bands:
            if not 0 <= total <= self.max_total:
                raise ValueError(
                    f"{self.name} total {total} is outside 0-{self.max_total}"
                )
            return None
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"{self.name} total {total} is outside 0-{self.max_total}")

    def band_label(self, code: str) -> str:
        return next((b.label for b in self.bands if b.code == code), "")


PHQ9 = Instrument(
    code="PHQ9",
    name="PHQ-9",
    full_name="Patient Health Questionnaire (depression)",
    loinc="44249-1",
    reference="Kroenke, Spitzer & Williams (2001), J Gen Intern Med 16:606-613",
    recall_period="Over the last 2 weeks",
    question="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    bands=(
        Band("MINIMAL", 0, 4, "Minimal / none"),
        Band("MILD", 5, 9, "Mild"),
        Band("MODERATE", 10, 14, "Moderate"),
        Band("MODERATELY_SEVERE", 15, 19, "Moderately severe"),
        Band("SEVERE", 20, 27, "Severe"),
    ),
    change=ChangeParams(
        reliable_change=6,
        caseness=10,
        preset="NHS Talking Therapies",
        source=NHS_SOURCE,
    ),
    risk_item=9,
)

GAD7 = Instrument(
    code="GAD7",
    name="GAD-7",
    full_name="Generalized Anxiety Disorder scale",
    loinc="69737-5",
    reference="Spitzer, Kroenke, Williams & Löwe (2006), Arch Intern Med 166:1092-1097",
    recall_period="Over the last 2 weeks",
    question="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    bands=(
        Band("MINIMAL", 0, 4, "Minimal"),
        Band("MILD", 5, 9, "Mild"),
        Band("MODERATE", 10, 14, "Moderate"),
        Band("SEVERE", 15, 21, "Severe"),
    ),
    change=ChangeParams(
        reliable_change=4, caseness=8, preset="NHS Talking Therapies", source=NHS_SOURCE
    ),
)

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7)}
CHOICES = [(i.code, i.name) for i in INSTRUMENTS.values()]


def get(code: str) -> Instrument:
    return INSTRUMENTS[code]


def problems(instrument: Instrument) -> list[str]:
    """What is missing or inconsistent in a declaration (empty: complete). The registry's
    test runs this on every instrument, so a half-declared one fails the suite."""
    found = []
    for field in ("code", "name", "loinc", "reference", "recall_period", "question"):
        if not getattr(instrument, field):
            found.append(f"{field} is empty")
    if not re.fullmatch(r"\d{1,7}-\d", instrument.loinc or ""):
        found.append("loinc is not a LOINC code")
    if not instrument.items or any(not item.strip() for item in instrument.items):
        found.append("items are missing or blank")
    if [v for v, _ in instrument.options] != list(range(len(instrument.options))):
        found.append("options are not numbered 0..n")
    if "No permission required" not in instrument.attribution:
        found.append("the credit line is missing")
    expected = 0
    for band in instrument.bands:
        if band.low != expected or band.high < band.low or not band.label:
            found.append(f"band {band.code} does not continue at {expected}")
        expected = band.high + 1
    if expected != instrument.max_total + 1:
        found.append(f"bands end at {expected - 1}, not at {instrument.max_total}")
    change = instrument.change
    if not (change and change.reliable_change > 0 and change.source):
        found.append("reliable change parameters are missing")
    elif not 0 < change.caseness <= instrument.max_total:
        found.append("the caseness threshold is outside the total's range")
    if instrument.risk_item is not None and not (
        1 <= instrument.risk_item <= len(instrument.items)
    ):
        found.append("the risk item is not one of the items")
    return found


# --- The post-session check-in ----------------------------------------------------------------
# Not a standardised instrument: its wording is this product's own (DOMAIN.md 1.7 describes the
# research questionnaire it is modelled on, whose wording is not licensed here). It is neither
# scored nor banded, so it is declared apart from INSTRUMENTS.

CHECKIN_STATUS = "Non-standardised, defined by this product"
CHECKIN_SCALE: tuple[tuple[int, str], ...] = (
    (1, "1 (not at all)"),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, "5 (very much)"),
)


@dataclass(frozen=True)
class CheckIn:
    """A post-session check-in: tension yes/no; if yes, how strong and how far resolved;
    then how safe and understood the respondent felt."""

    code: str
    respondent: str  # "CLIENT" or "THERAPIST"
    name: str
    intro: str
    tension: str
    intensity: str
    resolution: str
    safety: str
    status: str = CHECKIN_STATUS
    scale: tuple[tuple[int, str], ...] = CHECKIN_SCALE

    @property
    def slug(self) -> str:
        return self.code.lower()


CHECKIN_CLIENT = CheckIn(
    code="CHECKIN",
    respondent="CLIENT",
    name="Post-session check-in",
    intro="A few questions about the session you have just had with your therapist.",
    tension="Did you feel any tension or problem with your therapist in this session "
    "(for example a misunderstanding, a disagreement or feeling put off)?",
    intensity="If yes: how strong was it?",
    resolution="If yes: how far was it resolved by the end of the session?",
    safety="Did you feel safe and understood in this session?",
)

CHECKIN_THERAPIST = CheckIn(
    code="CHECKIN_T",
    respondent="THERAPIST",
    name="Post-session check-in (therapist)",
    intro="The mirror of the client's check-in, answered by the therapist.",
    tension="Did you notice any tension or problem between you and the client in this "
    "session (a misunderstanding, a disagreement, a pulling away)?",
    intensity="If yes: how strong was it?",
    resolution="If yes: how far was it resolved by the end of the session?",
    safety="Did the client seem to feel safe and understood in this session?",
)

CHECKINS: dict[str, CheckIn] = {c.code: c for c in (CHECKIN_CLIENT, CHECKIN_THERAPIST)}
# What a link may carry: the scored instruments and the client's check-in.
LINK_CHOICES = [*CHOICES, (CHECKIN_CLIENT.code, CHECKIN_CLIENT.name)]


def spec_for(code: str) -> Instrument | CheckIn:
    return INSTRUMENTS.get(code) or CHECKINS[code]


def checkin_problems(checkin: CheckIn) -> list[str]:
    """What is missing in a check-in's declaration (empty: complete)."""
    found = []
    for field in ("code", "name", "tension", "intensity", "resolution", "safety"):
        if not getattr(checkin, field).strip():
            found.append(f"{field} is empty")
    if checkin.respondent not in ("CLIENT", "THERAPIST"):
        found.append("the respondent is neither the client nor the therapist")
    if [v for v, _ in checkin.scale] != [1, 2, 3, 4, 5]:
        found.append("the scale is not 1..5")
    if "non-standardised" not in checkin.status.lower():
        found.append("the check-in does not say it is non-standardised")
    if "PSQ" in " ".join((checkin.name, checkin.intro, checkin.status)):
        found.append("the check-in claims a standardised questionnaire's name")
    return found
