"""Reliable change, hand-computed (DOMAIN.md 4.3-4.4; NHS Talking Therapies presets)."""

from __future__ import annotations

import pytest

from measures.change import change, paired
from measures.instruments import GAD7, PHQ9


@pytest.mark.parametrize(
    "spec, first, last, code, improve, worse, recovery, reliable_recovery",
    [
        # 18 -> 9: down 9 >= 6, from a case (>= 10) to below 10.
        (PHQ9, 18, 9, "RECOVERED", True, False, True, True),
        # 20 -> 14: down 6 (exactly the threshold), still a case.
        (PHQ9, 20, 14, "IMPROVED", True, False, False, False),
        # 14 -> 9: down 5, one short of reliable; below caseness: recovery, not reliable.
        (PHQ9, 14, 9, "UNCHANGED", False, False, True, False),
        # 8 -> 14: up 6: reliable deterioration; not a case at the start.
        (PHQ9, 8, 14, "DETERIORATED", False, True, None, None),
        # 9 -> 2: down 7 but never a case: improved, recovery does not apply.
        (PHQ9, 9, 2, "IMPROVED", True, False, None, None),
        # GAD-7 12 -> 7: down 5 >= 4, from a case (>= 8) to below 8.
        (GAD7, 12, 7, "RECOVERED", True, False, True, True),
        # GAD-7 10 -> 7: down 3, not reliable.
        (GAD7, 10, 7, "UNCHANGED", False, False, True, False),
        # GAD-7 5 -> 9: up 4: reliable deterioration.
        (GAD7, 5, 9, "DETERIORATED", False, True, None, None),
    ],
)
def test_hand_computed_cases(
    spec, first, last, code, improve, worse, recovery, reliable_recovery
):
    c = change(spec, first, last)
    assert c.classification == code
    assert (c.reliable_improvement, c.reliable_deterioration) == (improve, worse)
    assert (c.recovery, c.reliable_recovery) == (recovery, reliable_recovery)


def test_the_arithmetic_is_spelled_out():
    assert change(PHQ9, 18, 9).arithmetic == (
        "PHQ-9 18 → 9: down 9 points; reliable change needs 6 (NHS Talking Therapies) "
        "→ reliable improvement; below the caseness threshold of 10 → recovered"
    )
    assert "up 6 points" in change(PHQ9, 8, 14).arithmetic
    assert "recovery does not apply" in change(PHQ9, 8, 14).arithmetic


def test_both_measures_follow_the_nhs_rule():
    # Reliable improvement on the PHQ-9 but reliable deterioration on the GAD-7: not improved.
    mixed = paired(change(PHQ9, 18, 9), change(GAD7, 4, 9))
    assert not mixed.reliable_improvement and mixed.reliable_deterioration
    # A case on the GAD-7 alone at the end: not recovered.
    still = paired(change(PHQ9, 18, 9), change(GAD7, 12, 10))
    assert still.recovery is False
    both = paired(change(PHQ9, 18, 9), change(GAD7, 12, 7))
    assert both.reliable_recovery is True
