"""Reliable change between a client's first and latest score (DOMAIN.md 4.3-4.4).

Per instrument: the Jacobson & Truax classification (RECOVERED / IMPROVED / UNCHANGED /
DETERIORATED) with the NHS Talking Therapies presets as the reliable-change size and, as the
fixed cut-off, the caseness threshold; and the NHS rules (reliable improvement, reliable
deterioration, recovery, reliable recovery). Higher scores are worse on both instruments, so
an improvement is a decrease. The arithmetic is kept for the page to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from measures.instruments import RCI_SOURCE, Instrument

CLASSIFICATIONS = {
    "RECOVERED": "Recovered",
    "IMPROVED": "Improved",
    "UNCHANGED": "Unchanged",
    "DETERIORATED": "Deteriorated",
}


@dataclass(frozen=True)
class Change:
    instrument: Instrument
    first: int
    last: int
    classification: str  # a key of CLASSIFICATIONS
    reliable_improvement: bool
    reliable_deterioration: bool
    recovery: bool | None  # None: not a case at the start, so recovery does not apply
    reliable_recovery: bool | None

    @property
    def delta(self) -> int:
        return self.last - self.first

    @property
    def label(self) -> str:
        return CLASSIFICATIONS[self.classification]

    @property
    def sources(self) -> tuple[str, str]:
        return (self.instrument.change.source, RCI_SOURCE)

    @property
    def arithmetic(self) -> str:
        """The sum on screen, e.g. "PHQ-9 18 → 9: down 9 points; reliable change needs 6
        (NHS Talking Therapies) → reliable improvement; below the caseness threshold of 10
        → recovered"."""
        p = self.instrument.change
        d = self.delta
        moved = (
            f"down {-d} point{'s' if d != -1 else ''}"
            if d < 0
            else f"up {d} point{'s' if d != 1 else ''}"
            if d > 0
            else "no change"
        )
        if self.reliable_improvement:
            verdict = "reliable improvement"
        elif self.reliable_deterioration:
            verdict = "reliable deterioration"
        else:
            verdict = "not a reliable change"
        parts = [
            f"{self.instrument.name} {self.first} → {self.last}: {moved}",
            f"reliable change needs {p.reliable_change} ({p.preset}) → {verdict}",
        ]
        if self.recovery is None:
            parts.append(
                f"started below the caseness threshold of {p.caseness} → recovery does not apply"
            )
        elif self.recovery:
            parts.append(f"below the caseness threshold of {p.caseness} → recovered")
        else:
            parts.append(
                f"still at or above the caseness threshold of {p.caseness} → not recovered"
            )
        return "; ".join(parts)


def change(instrument: Instrument, first: int, last: int) -> Change:
    """Classify the change from `first` to `last` (both complete totals). Only for an
    instrument with published change parameters (not one defined by the practice)."""
    p = instrument.change
    if p is None:
        raise ValueError(f"{instrument.name} has no reliable change parameters")
    d = last - first
    improved = d <= -p.reliable_change
    worse = d >= p.reliable_change
    case_at_start = first >= p.caseness
    case_at_end = last >= p.caseness
    recovery = (not case_at_end) if case_at_start else None
    if improved:
        classification = "RECOVERED" if recovery else "IMPROVED"
    elif worse:
        classification = "DETERIORATED"
    else:
        classification = "UNCHANGED"
    return Change(
        instrument=instrument,
        first=first,
        last=last,
        classification=classification,
        reliable_improvement=improved,
        reliable_deterioration=worse,
        recovery=recovery,
        reliable_recovery=(recovery and improved) if recovery is not None else None,
    )


@dataclass(frozen=True)
class Paired:
    """The NHS Talking Therapies verdict over both measures, when both have paired scores."""

    reliable_improvement: bool
    reliable_deterioration: bool
    recovery: bool | None
    reliable_recovery: bool | None


def paired(depression: Change, anxiety: Change) -> Paired:
    """Reliable improvement on at least one measure and no reliable deterioration on the
    other; a case at the start on either measure and a case on neither at the end."""
    deteriorated = depression.reliable_deterioration or anxiety.reliable_deterioration
    improved = (
        depression.reliable_improvement or anxiety.reliable_improvement
    ) and not deteriorated
    pd, pa = depression.instrument.change, anxiety.instrument.change
    case_start = depression.first >= pd.caseness or anxiety.first >= pa.caseness
    case_end = depression.last >= pd.caseness or anxiety.last >= pa.caseness
    recovery = (not case_end) if case_start else None
    return Paired(
        reliable_improvement=improved,
        reliable_deterioration=deteriorated,
        recovery=recovery,
        reliable_recovery=(recovery and improved) if recovery is not None else None,
    )
