"""The Measures section's rows (measures.services.client_summary) link each score as its model
does, and read the same whether the section runs its statement itself or takes the rows the
client page read in its one round trip."""

from __future__ import annotations

import pytest

from ipnb_notes import batch
from measures import practice_instruments
from measures.instruments import GAD7, PHQ9
from measures.models import Administration, PracticeAdministration
from measures.services import (
    administration_record,
    client_summary,
    client_summary_read,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(alice, ada, robin):
    defined = practice_instruments.define(
        name="Own Scale",
        question="",
        items=["A", "B"],
        scale=["No", "Yes"],
        bands=[],
        by=ada,
    )
    for answers in ([1, 1], [0, 1]):
        administration_record(
            client=robin, instrument=defined.spec, answers=answers, by=alice
        )
    for answers in ([2] * 9, [1] * 8 + [0]):
        administration_record(client=robin, instrument=PHQ9, answers=answers, by=alice)
    administration_record(client=robin, instrument=GAD7, answers=[1] * 7, by=alice)
    return robin


def test_each_score_links_where_its_model_links(scored):
    summary = client_summary(scored)
    rows = [s.latest for s in summary["summaries"] if s.latest] + summary["alerts"]
    kinds = {row.kind for row in rows}
    assert kinds == {"S", "P"}
    for row in rows:
        model = Administration if row.kind == "S" else PracticeAdministration
        assert (
            row.get_absolute_url()
            == model.objects.get(code=row.code).get_absolute_url()
        )


def test_rows_read_with_a_page_batch_give_the_same_section(
    scored, django_assert_num_queries
):
    alone = client_summary(scored)
    with django_assert_num_queries(1):
        [rows] = batch.fetch(client_summary_read(scored.pk))
    with django_assert_num_queries(0):
        batched = client_summary(scored, rows=rows)
    assert batched == alone
    assert [s.instrument.name for s in batched["summaries"]][-1] == "Own Scale"
    assert batched["alerts"][0].alert_code  # the first PHQ-9's item 9 above 0
