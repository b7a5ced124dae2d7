"""The registry is the one home of the PHQ-9 and GAD-7: complete, and worded as released."""

from __future__ import annotations

import dataclasses

import pytest

from measures import instruments
from measures.instruments import GAD7, PHQ9


@pytest.mark.parametrize("code", sorted(instruments.INSTRUMENTS))
def test_every_instrument_is_completely_declared(code):
    assert instruments.problems(instruments.get(code)) == []


@pytest.mark.parametrize(
    "change",
    [
        {"items": ()},
        {"loinc": ""},
        {"attribution": ""},
        {"bands": PHQ9.bands[:-1]},  # stops at 19 of 27
        {"bands": (PHQ9.bands[0], *PHQ9.bands[2:])},  # a gap at 5-9
        {"change": None},
        {"risk_item": 12},
        {"recall_period": ""},
    ],
)
def test_an_incomplete_declaration_is_caught(change):
    assert instruments.problems(dataclasses.replace(PHQ9, **change))


def test_the_public_domain_wording_and_codes():
    assert PHQ9.loinc == "44249-1" and GAD7.loinc == "69737-5"
    assert PHQ9.items[0] == "Little interest or pleasure in doing things"
    assert PHQ9.items[1] == "Feeling down, depressed, or hopeless"
    assert PHQ9.items[8].startswith("Thoughts that you would be better off dead")
    assert GAD7.items[0] == "Feeling nervous, anxious, or on edge"
    assert len(PHQ9.items) == 9 and len(GAD7.items) == 7
    assert [label for _, label in PHQ9.options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert PHQ9.attribution.startswith("Developed by Drs. Robert L. Spitzer")
    assert PHQ9.max_total == 27 and GAD7.max_total == 21
    assert (PHQ9.change.reliable_change, PHQ9.change.caseness) == (6, 10)
    assert (GAD7.change.reliable_change, GAD7.change.caseness) == (4, 8)
    assert PHQ9.risk_item == 9 and GAD7.risk_item is None
