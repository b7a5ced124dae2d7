"""Scores at every band boundary, and no total when an item is missing (never prorated)."""

from __future__ import annotations

import pytest

from measures.instruments import GAD7, PHQ9
from measures.scoring import score


def _answers(n_items: int, total: int) -> list[int]:
    """Answers of `n_items` items summing to `total` (item 9 kept at 0 where possible)."""
    answers = [0] * n_items
    for i in range(n_items):
        answers[i] = min(3, total)
        total -= answers[i]
    assert total == 0
    return answers


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "MINIMAL"),
        (4, "MINIMAL"),
        (5, "MILD"),
        (9, "MILD"),
        (10, "MODERATE"),
        (14, "MODERATE"),
        (15, "MODERATELY_SEVERE"),
        (19, "MODERATELY_SEVERE"),
        (20, "SEVERE"),
        (27, "SEVERE"),
    ],
)
def test_phq9_bands_at_every_boundary(total, band):
    result = score(PHQ9, _answers(9, total))
    assert result.total == total
    assert result.band.code == band


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "MINIMAL"),
        (4, "MINIMAL"),
        (5, "MILD"),
        (9, "MILD"),
        (10, "MODERATE"),
        (14, "MODERATE"),
        (15, "SEVERE"),
        (21, "SEVERE"),
    ],
)
def test_gad7_bands_at_every_boundary(total, band):
    result = score(GAD7, _answers(7, total))
    assert (result.total, result.band.code) == (total, band)


def test_missing_items_leave_no_total_and_say_why():
    answers = [3, 3, 3, 3, 3, 3, 3, None, None]
    result = score(PHQ9, answers)
    # 21 of 7 items answered would prorate to 27: it must not.
    assert result.total is None and result.band is None
    assert result.unanswered == (8, 9)
    assert result.why_no_total == "2 items unanswered: the total is not computed"
    assert score(GAD7, [1, None, 1, 1, 1, 1, 1]).why_no_total == (
        "1 item unanswered: the total is not computed"
    )


def test_item_9_raises_the_risk_flag_whatever_the_total():
    assert score(PHQ9, [0] * 8 + [1]).risk  # total 1, minimal band: still flagged
    assert score(PHQ9, [None] * 8 + [2]).risk  # no total at all: still flagged
    assert not score(PHQ9, [3] * 8 + [0]).risk
    assert not score(GAD7, [3] * 7).risk


def test_bad_answers_are_refused():
    with pytest.raises(ValueError):
        score(PHQ9, [4] + [0] * 8)
    with pytest.raises(ValueError):
        score(PHQ9, [0] * 8)
