"""Where each concept and rating of the app comes from, and what is and is not validated.

One home: the Sources page (/sources/) lists these entries, and every instrument-status
label and attribution on other pages links to an entry's anchor through `url()`, which
refuses an anchor that is not listed here. Content follows DOMAIN.md sections 0.2, 1-3 and
7 (reference list); nothing here reproduces an instrument's items.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class Source:
    anchor: str
    title: str
    authors: str
    references: tuple[str, ...]
    validated: str
    not_validated: str
    caveat: str = ""


SOURCES: tuple[Source, ...] = (
    Source(
        anchor="faces",
        title="FACES qualities (flexible, adaptive, coherent, energized, stable)",
        authors="Daniel J. Siegel",
        references=(
            "Siegel, D. J. (2010). Mindsight. Bantam.",
            "Siegel, D. J. (2010). The complexity choir. Psychotherapy Networker, Jan/Feb.",
        ),
        validated="Nothing: no validated instrument exists for the FACES qualities.",
        not_validated=(
            "Each quality is rated by the clinician, 0 (absent) to 4 (strongly present), as "
            "a way to note what was observed. No scoring rule exists, so the app computes "
            "no FACES total."
        ),
    ),
    Source(
        anchor="river-of-integration",
        title="The river of integration (chaos, rigidity, harmonious flow)",
        authors="Daniel J. Siegel",
        references=("Siegel, D. J. (2010). Mindsight. Bantam.",),
        validated="Nothing: no validated instrument exists for the river of integration.",
        not_validated=(
            "The position is rated by the clinician from -3 (strongly rigid) through 0 (in "
            "the flow) to +3 (strongly chaotic). It is bipolar, so it never joins the "
            "composite."
        ),
    ),
    Source(
        anchor="implicit-memory",
        title="Signs of integrating implicit memory",
        authors="Daniel J. Siegel",
        references=(
            "Siegel, D. J. (1999/2012). The Developing Mind (1st/2nd ed.). Guilford.",
        ),
        validated="Nothing: no validated instrument exists for memory integration.",
        not_validated=(
            "Clinician-rated signs in the practice's own wording, 0 (absent) to 4 (strongly "
            "present)."
        ),
    ),
    Source(
        anchor="triangle-of-well-being",
        title="The triangle of well-being (mind, brain, relationships)",
        authors="Daniel J. Siegel",
        references=("Siegel, D. J. (2010). Mindsight. Bantam.",),
        validated="Nothing: no validated instrument exists for the triangle of well-being.",
        not_validated="Each side is rated by the clinician, 0 (absent) to 4 (strongly present).",
    ),
    Source(
        anchor="domains-of-integration",
        title="Domains of integration",
        authors="Daniel J. Siegel",
        references=(
            "Siegel, D. J. (1999/2012). The Developing Mind (1st/2nd ed.). Guilford.",
            "Siegel, D. J. (2010). Mindsight. Bantam (eight domains; the 2nd edition of The "
            "Developing Mind lists nine).",
        ),
        validated="Nothing: no validated instrument exists for the domains of integration.",
        not_validated=(
            "Each domain is rated by the clinician, 0 (blocked) to 4 (integrated). Adjacent "
            "validated instruments (for example the Reflective Functioning Questionnaire or "
            "the Body Perception Questionnaire) measure related constructs; the app does not "
            "embed them."
        ),
    ),
    Source(
        anchor="window-of-tolerance",
        title="Window of tolerance (hyperarousal, within the window, hypoarousal)",
        authors="Daniel J. Siegel; Pat Ogden, Kekuni Minton and Clare Pain",
        references=(
            "Siegel, D. J. (1999). The Developing Mind. Guilford.",
            "Ogden, P., Minton, K., & Pain, C. (2006). Trauma and the Body. Norton.",
        ),
        validated="Nothing: no validated scale exists for the window of tolerance.",
        not_validated="Arousal observations are tagged by the clinician during or after the session.",
    ),
    Source(
        anchor="composite",
        title="The composite (integration trend line)",
        authors="This app",
        references=(),
        validated="Nothing: the composite is not a validated score and no published scoring rule exists.",
        not_validated=(
            "A descriptive mean, per session, of the indicators marked for it, all on the "
            "composite's one declared scale (0 to 4); the pages that show it name its "
            "indicators. Its trend is a least-squares slope over the last rated sessions; "
            "“declining” means a fitted fall of at least 7.5% of the scale's range."
        ),
    ),
    Source(
        anchor="practice-defined",
        title="Indicators defined by the practice",
        authors="The practice's administrators",
        references=(),
        validated="Nothing known to the app: the practice supplies the wording and the scale.",
        not_validated=(
            "A practice-defined indicator carries the practice's own label and scale; the app "
            "stores the clinician's ratings and claims no validity for them."
        ),
    ),
    Source(
        anchor="practice-instruments",
        title="Questionnaires defined by the practice",
        authors="The practice's administrators",
        references=(),
        validated="Nothing known to the app: the practice supplies the items, the scale and any bands.",
        not_validated=(
            "A questionnaire of the practice's own is scored as the sum of its items; it has no "
            "published norms, reliability or cut-offs, so the app computes no reliable change "
            "or recovery for it and shows its bands only as the practice wrote them."
        ),
    ),
    Source(
        anchor="3rs",
        title="Rupture markers (3RS-informed)",
        authors="Catherine F. Eubanks, J. Christopher Muran and Jeremy D. Safran",
        references=(
            "Eubanks, C. F., Muran, J. C., & Safran, J. D. (2015). Rupture Resolution Rating "
            "System (3RS): Manual. DOI 10.13140/2.1.1666.8488.",
            "Eubanks, C. F., Lubitz, J., Muran, J. C., & Safran, J. D. (2019). Rupture "
            "Resolution Rating System (3RS): Development and validation. Psychotherapy "
            "Research, 29(3), 306-319.",
            "Safran, J. D., & Muran, J. C. (2000). Negotiating the Therapeutic Alliance. Guilford.",
        ),
        validated=(
            "The 3RS is a validated observer-coded research system: trained coders apply it "
            "to recorded sessions."
        ),
        not_validated=(
            "A therapist tagging ruptures live or after the session is an adaptation: the "
            "app's markers are 3RS-informed (marker names only, own definitions), not 3RS-coded."
        ),
    ),
    Source(
        anchor="attunement-cues",
        title="Right-brain-to-right-brain attunement cues",
        authors="Judith R. Schore and Allan N. Schore",
        references=(
            "Schore, J. R., & Schore, A. N. (2008). Modern attachment theory. Clinical Social "
            "Work Journal, 36, 9-20.",
        ),
        validated="Nothing: no Schore-authored coding system or rating scale exists for these cues.",
        not_validated="The cue channels are clinician tags.",
    ),
    Source(
        anchor="co-regulation",
        title="Co-regulation moments and integration links",
        authors="Concepts from Daniel J. Siegel and Edward Z. Tronick; the codes are the app's",
        references=(
            "Siegel, D. J. (1999/2012). The Developing Mind (1st/2nd ed.). Guilford.",
            "Tronick, E. Z., & Cohn, J. F. (1989). Infant-mother face-to-face interaction. "
            "Child Development, 60, 85-92.",
        ),
        validated=(
            "Nothing: no validated instrument codes a therapist's co-regulating acts or a "
            "client's moments of linking. Mutual regulation was studied in mother-infant "
            "interaction."
        ),
        not_validated=(
            "The clinician tags what they offered (pace, tone, presence, breath, naming, "
            "grounding) and whether the client settled, their own arousal beside the "
            "client's, and the moments the client linked thoughts with feelings, body with "
            "meaning or past with present. The counts are descriptive."
        ),
    ),
    Source(
        anchor="repair-rate",
        title="Matching, mismatch and interactive repair (the repair rate)",
        authors="Edward Z. Tronick and colleagues",
        references=(
            "Tronick, E., Als, H., Adamson, L., Wise, S., & Brazelton, T. B. (1978). The "
            "infant's response to entrapment between contradictory messages in face-to-face "
            "interaction. J Am Acad Child Psychiatry, 17, 1-13.",
            "Tronick, E. Z., & Cohn, J. F. (1989). Infant-mother face-to-face interaction. "
            "Child Development, 60, 85-92.",
            "Provenzi, L., et al. (2018). Disentangling the dyadic dance. Front Psychol, 9, 348.",
            "Montirosso, R., et al. (2010). Br J Dev Psychol, 28, 347-368 (matching, "
            "reparation rate, synchrony).",
        ),
        validated=(
            "The mutual regulation model and the still-face paradigm come from research on "
            "mother-infant interaction; matching and reparation rate were measured there."
        ),
        not_validated=(
            "Repairs per mismatch in therapy sessions, from the clinician's tags, are "
            "descriptive and not validated for adult psychotherapy. Figures such as “about "
            "70% mismatched” come from secondary sources only: most of the time is simply "
            "not perfectly matched."
        ),
        caveat="descriptive, not validated for adult psychotherapy",
    ),
)

# What each instrument status means (DOMAIN.md 0.2); the codes are InstrumentStatus's.
STATUS_MEANINGS: dict[str, str] = {
    "VALIDATED_STANDARD": "A published instrument with validation studies, used as published.",
    "VALIDATED_RESEARCH_ADAPTED": (
        "A validated research instrument used in an adapted way (for example live tagging "
        "instead of trained observer coding): its validation does not carry over."
    ),
    "CLINICIAN_CONCEPTUAL": (
        "A clinician's rating of a concept for which no validated instrument exists: a "
        "way to note what was observed, not a measurement."
    ),
    "USER_DEFINED": "Defined by the practice: its wording and scale are the practice's own.",
}

# The source of each indicator group (IntegrationIndicator.Group codes).
GROUP_SOURCES: dict[str, str] = {
    "FACES": "faces",
    "RIVER": "river-of-integration",
    "IMPLICIT_MEMORY": "implicit-memory",
    "TRIANGLE": "triangle-of-well-being",
    "DOMAINS": "domains-of-integration",
    "PRACTICE": "practice-defined",
}

BY_ANCHOR: dict[str, Source] = {s.anchor: s for s in SOURCES}


def status_anchor(status: str) -> str:
    return "status-" + status.lower().replace("_", "-")


def anchors() -> set[str]:
    """Every anchor of the Sources page: the sources and the status vocabulary."""
    return set(BY_ANCHOR) | {status_anchor(code) for code in STATUS_MEANINGS}


_ANCHORS = frozenset(anchors())


def url(anchor: str) -> str:
    """The link to one entry of the Sources page; an unknown anchor is a programming error."""
    if anchor not in _ANCHORS:
        raise ValueError(
            f"No source with the anchor {anchor!r} (ipnb_notes/sources.py)."
        )
    # A page links to the Sources page once per indicator: the link is reversed once per
    # anchor, script prefix and URLconf, not once per link.
    return _url(anchor, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=512)
def _url(anchor: str, _prefix: str, urlconf: str | None) -> str:
    return f"{reverse('sources', urlconf=urlconf)}#{anchor}"


def _forget_urls(*, setting: str, **_kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _url.cache_clear()


setting_changed.connect(_forget_urls)


def indicator_anchor(group: str, status: str) -> str:
    """An indicator's source: the practice's own when it defined it, else its group's."""
    if status == "USER_DEFINED":
        return "practice-defined"
    return GROUP_SOURCES[group]
