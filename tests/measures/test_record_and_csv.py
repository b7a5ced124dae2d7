"""The client's measures leave the app two ways: the measures CSV (through the one CSV writer)
and the released record (the disclosures PDF), each with every questionnaire and check-in,
what each is, and never a measure outside the release's period."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.models import Purpose
from measures import services
from measures.export import HEADER
from measures.instruments import CHECKIN_THERAPIST, GAD7, PHQ9
from measures.models import Administration
from tests.disclosures.conftest import (
    NY,
    browser_for,
    pdf_text,
    record,  # noqa: F401 (the fixture)
)
from tests.factories import make_session
from tests.measures.conftest import signed_in

pytestmark = pytest.mark.django_db


def _measures(client, alice, session):
    phq = services.administration_record(
        client=client, instrument=PHQ9, answers=[2, 2, 1, 1, 1, 1, 1, 1, 1], by=alice
    )
    gad = services.administration_record(
        client=client, instrument=GAD7, answers=[1, None, 1, 1, 1, 1, 1], by=alice
    )
    services.checkin_record(
        session=session,
        checkin=CHECKIN_THERAPIST,
        responses={"tension": True, "intensity": 3, "resolution": 1, "safety": 4},
        by=alice,
    )
    return phq, gad


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode(), newline="")))


def test_the_csv_lists_every_measure_with_what_it_is(alice, robin):
    session = make_session(robin, alice, starts_at=timezone.now() - timedelta(hours=1))
    _measures(robin, alice, session)

    response = signed_in(alice).get(reverse("measures:measures_csv", args=[robin.code]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert tuple(rows[0]) == HEADER
    by_measure = {row[1]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    phq = by_measure["PHQ-9"]
    assert (phq["Total"], phq["Band"], phq["Risk item above 0"]) == (
        "11",
        "Moderate",
        "yes",
    )
    assert phq["What it is"] == PHQ9.status and phq["Answers"] == "2 2 1 1 1 1 1 1 1"
    gad = by_measure["GAD-7"]
    assert gad["Total"] == "" and gad["Band"].startswith("1 item unanswered")
    assert gad["Answers"] == "1 - 1 1 1 1 1" and gad["Risk item above 0"] == ""
    checkin = by_measure[CHECKIN_THERAPIST.name]
    assert "not resolved" in checkin["Answers"]
    assert checkin["What it is"] == CHECKIN_THERAPIST.status
    assert AuditEvent.objects.filter(
        action="measure.export", client_code=robin.code
    ).exists()
    assert "Roberta" not in response["Content-Disposition"]


def test_the_supervisor_reads_the_csv_and_a_stranger_gets_404(
    alice, bob, charlie, robin
):
    url = reverse("measures:measures_csv", args=[robin.code])
    assert signed_in(bob).get(url).status_code == 200
    assert signed_in(charlie).get(url).status_code == 404


def test_the_csv_costs_the_same_few_queries_whatever_the_number_of_measures(
    alice, robin, django_assert_max_num_queries
):
    session = make_session(robin, alice, starts_at=timezone.now() - timedelta(hours=1))
    for _ in range(5):
        _measures(robin, alice, session)
    browser = signed_in(alice)
    url = reverse("measures:measures_csv", args=[robin.code])
    browser.get(url)
    with django_assert_max_num_queries(10):
        assert len(_csv(browser.get(url))) == 16


def _release(browser, client, **data):
    return browser.post(
        reverse("disclosures:release", args=[client.code]),
        {
            "recipient": "Dr. Rowan Vale, Riverside Clinic",
            "purpose": Purpose.CONTINUITY_OF_CARE,
            "description": "Record sent for the transfer of care.",
            **data,
        },
    )


def test_the_released_record_carries_the_measures_of_its_period(record, alice):  # noqa: F811
    client, session = record["client"], record["session"]
    phq, gad = _measures(client, alice, session)
    early = datetime(2026, 1, 5, 10, 0, tzinfo=NY)
    Administration.objects.filter(pk=gad.pk).update(completed_at=early)

    text = " ".join(pdf_text(_release(browser_for(alice), client).content).split())
    assert "Outcome measures" in text
    assert "Total 11 of 27: Moderate" in text
    assert "item 9 above 0" in text
    assert "1 item unanswered: the total is not computed" in text
    assert CHECKIN_THERAPIST.name in text and "not resolved" in text
    assert "No permission required" in text  # the instruments' credit line

    later = " ".join(
        pdf_text(
            _release(browser_for(alice), client, date_from="2026-02-01").content
        ).split()
    )
    assert "Total 11 of 27" in later
    assert "1 item unanswered" not in later


def test_a_record_without_measures_says_so(record, alice):  # noqa: F811
    text = pdf_text(_release(browser_for(alice), record["client"]).content)
    assert "Outcome measures" in text and "None completed in this period." in text
