"""Scores as the authors publish them: a plain sum, never prorated. A missing item leaves the
total uncomputed, and the page says so."""

from __future__ import annotations

from dataclasses import dataclass

from measures.instruments import Band, Instrument


@dataclass(frozen=True)
class Score:
    total: int | None
    band: Band | None
    unanswered: tuple[int, ...]  # 1-based item numbers
    risk: bool

    @property
    def why_no_total(self) -> str:
        n = len(self.unanswered)
        if not n:
            return ""
        return f"{n} item{'s' if n != 1 else ''} unanswered: the total is not computed"


def score(instrument: Instrument, responses: list[int | None]) -> Score:
    """Total, band, unanswered items and the risk flag. The risk flag never depends on the
    total: any answer above 0 on the risk item raises it, even when other items are missing."""
    if len(responses) != len(instrument.items):
        raise ValueError(f"{instrument.name} has {len(instrument.items)} items")
    valid = {value for value, _ in instrument.options}
    for value in responses:
        if value is not None and value not in valid:
            raise ValueError(f"{value!r} is not an answer of the {instrument.name}")
    unanswered = tuple(n for n, v in enumerate(responses, start=1) if v is None)
    risk = bool(instrument.risk_item and (responses[instrument.risk_item - 1] or 0) > 0)
    if unanswered:
        return Score(total=None, band=None, unanswered=unanswered, risk=risk)
    total = sum(responses)  # type: ignore[arg-type]
    return Score(total=total, band=instrument.band_for(total), unanswered=(), risk=risk)
