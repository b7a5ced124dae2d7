"""What the dashboards read about measures: each client's reliable change from its first and
latest scored totals, the caseload's flags, and the instruments' bands for the charts.

The arithmetic is measures.change's (Jacobson & Truax with the NHS Talking Therapies presets);
this module only applies it to rows the dashboards' rollup hands it (first and latest complete
totals per instrument) and names what the pages flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from measures import instruments
from measures.change import Change, change, paired

# "No reliable improvement after this many sessions": a client with paired scores who has
# attended at least this many sessions without a reliable improvement is flagged on the
# caseload dashboard. Twelve sessions is about a course of high-intensity therapy in NHS
# Talking Therapies; the practice reviews such clients (docs/DECISIONS.md).
NO_IMPROVEMENT_AFTER_SESSIONS = 12

FLAG_DETERIORATION = "Reliable deterioration"
FLAG_NO_IMPROVEMENT = (
    f"No reliable improvement after {NO_IMPROVEMENT_AFTER_SESSIONS} sessions"
)
FLAGS = (FLAG_DETERIORATION, FLAG_NO_IMPROVEMENT)


@dataclass(frozen=True)
class Outcome:
    """One client's reliable change over the instruments with two or more scored totals."""

    changes: dict[str, Change] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        return bool(self.changes)

    @property
    def _paired(self):
        phq, gad = (
            self.changes.get(instruments.PHQ9.code),
            self.changes.get(instruments.GAD7.code),
        )
        return paired(phq, gad) if phq and gad else None

    @property
    def improved(self) -> bool:
        """Reliable improvement: the NHS verdict over both measures when both are paired
        (improved on one, deteriorated on neither), else the one measure's."""
        both = self._paired
        if both is not None:
            return both.reliable_improvement
        return any(c.reliable_improvement for c in self.changes.values())

    @property
    def deteriorated(self) -> bool:
        """Reliable deterioration on any measure."""
        both = self._paired
        if both is not None:
            return both.reliable_deterioration
        return any(c.reliable_deterioration for c in self.changes.values())

    @property
    def arithmetic(self) -> list[str]:
        return [c.arithmetic for c in self.changes.values()]

    @property
    def short(self) -> list[str]:
        """ "PHQ-9 18 → 9 (Recovered)", one per instrument, for the tables."""
        return [
            f"{c.instrument.name} {c.first} → {c.last} ({c.label})"
            for c in self.changes.values()
        ]


# The registry's order of the instruments, for sorting a client's rows (computed once).
_ORDER = {code: n for n, code in enumerate(instruments.INSTRUMENTS)}


def outcome(rows: list[dict] | None) -> Outcome:
    """The outcome from rollup rows {"instrument", "first_total", "last_total", "scored"}:
    an instrument counts when it has two or more scored totals."""
    changes = {}
    for row in sorted(
        rows or [], key=lambda r: _ORDER.get(r["instrument"], len(_ORDER))
    ):
        spec = instruments.INSTRUMENTS.get(row["instrument"])
        if spec is None or (row.get("scored") or 0) < 2:
            continue
        changes[spec.code] = change(spec, row["first_total"], row["last_total"])
    return Outcome(changes)


def flags(result: Outcome, sessions_attended: int) -> list[str]:
    """The caseload's measure flags of one client."""
    found = []
    if result.deteriorated:
        found.append(FLAG_DETERIORATION)
    if (
        result.measured
        and not result.improved
        and sessions_attended >= NO_IMPROVEMENT_AFTER_SESSIONS
    ):
        found.append(FLAG_NO_IMPROVEMENT)
    return found


def shares(outcomes: list[Outcome]) -> dict:
    """Among clients with paired scores: how many improved and deteriorated reliably."""
    measured = [o for o in outcomes if o.measured]
    n = len(measured)
    improved = sum(1 for o in measured if o.improved)
    deteriorated = sum(1 for o in measured if o.deteriorated)
    return {
        "measured": n,
        "improved": improved,
        "deteriorated": deteriorated,
        "improved_share": improved / n if n else None,
        "deteriorated_share": deteriorated / n if n else None,
    }


def chart_instruments() -> list[dict]:
    """Each instrument's name, range and bands, for the trajectory chart's data."""
    return [
        {
            "code": spec.code,
            "name": spec.name,
            "max": spec.max_total,
            "bands": [
                {"code": b.code, "low": b.low, "high": b.high, "label": b.label}
                for b in spec.bands
            ],
        }
        for spec in instruments.INSTRUMENTS.values()
    ]


def band_label(code: str, total: int | None) -> str:
    if total is None:
        return ""
    return instruments.INSTRUMENTS[code].band_for(total).label


def rule_statement() -> str:
    """How the dashboards decide reliable change, with the presets read from the registry."""
    sizes = "; ".join(
        f"{spec.name} {spec.change.reliable_change} points (caseness {spec.change.caseness})"
        for spec in instruments.INSTRUMENTS.values()
    )
    preset = next(iter(instruments.INSTRUMENTS.values())).change.preset
    return (
        f"Reliable change between the first and latest scored totals, {preset} presets: "
        f"{sizes}. With both measures, a reliable improvement on one and no reliable "
        f"deterioration on the other. Sources: {instruments.RCI_SOURCE}; "
        f"{instruments.NHS_SOURCE}."
    )
