"""The clinician completes a PHQ-9 or GAD-7 with the client in session; who may, who reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from measures.instruments import PHQ9
from measures.models import Administration, RiskAlert
from tests.measures.conftest import answers_post, signed_in

pytestmark = pytest.mark.django_db


def _url(client, slug="phq9"):
    return reverse(f"measures:administer_{slug}", args=[client.code])


def test_it_saves_scores_and_audits(alice, robin):
    response = signed_in(alice).post(
        _url(robin), answers_post([2, 2, 2, 2, 2, 2, 2, 2, 0])
    )
    admin = Administration.objects.get(client=robin)
    assert response.status_code == 302
    assert (admin.total, admin.band, admin.risk_flag) == (
        16,
        "MODERATELY_SEVERE",
        False,
    )
    assert admin.responses == {"answers": [2, 2, 2, 2, 2, 2, 2, 2, 0]}
    assert admin.mode == "CLINICIAN" and admin.recorded_by == alice
    assert AuditEvent.objects.filter(
        action="measure.administer", target_code=str(admin.code)
    ).exists()


def test_the_answers_are_encrypted_at_rest(alice, robin):
    signed_in(alice).post(_url(robin), answers_post([1, 2, 3, 0, 1, 2, 3, 0, 0]))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT responses FROM measures_administration")
        (raw,) = cursor.fetchone()
    assert "answers" not in raw and "[1, 2, 3" not in raw


def test_a_missing_answer_is_flagged_beside_its_item_and_the_rest_is_kept(alice, robin):
    response = signed_in(alice).post(
        _url(robin, "gad7"), answers_post([1, 2, None, 3, 0, 1, 2])
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert not Administration.objects.exists()
    assert 'id="id_item_3_error"' in html
    assert "Choose an answer, or tick the box" in html
    # What was chosen stays chosen.
    assert 'name="item_4" value="3" id="id_item_4_3" checked' in html


def test_an_invalid_answer_gets_a_clear_message(alice, robin):
    response = signed_in(alice).post(
        _url(robin), answers_post([7, 0, 0, 0, 0, 0, 0, 0, 0])
    )
    assert response.status_code == 400
    assert "Choose one of the 4 answers." in response.content.decode()


def test_unanswered_items_on_purpose_leave_no_total_and_the_page_says_why(alice, robin):
    browser = signed_in(alice)
    browser.post(
        _url(robin),
        answers_post([3, 3, 3, 3, 3, 3, 3, None, None], skip_unanswered="on"),
    )
    admin = Administration.objects.get()
    assert admin.total is None and admin.unanswered == 2
    detail = browser.get(admin.get_absolute_url()).content.decode()
    assert "2 items unanswered: the total is not computed" in detail
    page = browser.get(robin.get_absolute_url()).content.decode()
    assert "2 items unanswered: the total is not computed" in page


def test_item_9_in_session_raises_an_alert_shown_on_the_client_page(alice, robin):
    browser = signed_in(alice)
    browser.post(_url(robin), answers_post([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    alert = RiskAlert.objects.get()
    page = browser.get(robin.get_absolute_url()).content.decode()
    assert reverse("measures:alert_acknowledge", args=[alert.code]) in page
    assert "Risk alert" in page


def test_the_client_page_shows_latest_scores_and_reliable_change(alice, robin):
    browser = signed_in(alice)
    browser.post(_url(robin), answers_post([2, 2, 2, 2, 2, 2, 2, 2, 0]))  # 16
    browser.post(_url(robin), answers_post([1, 1, 1, 1, 1, 1, 1, 1, 0]))  # 8
    page = browser.get(robin.get_absolute_url()).content.decode()
    assert "8 · Mild" in page
    assert (
        "PHQ-9 16 → 8: down 8 points; reliable change needs 6 (NHS Talking Therapies) "
        "→ reliable improvement; below the caseness threshold of 10 → recovered"
    ) in page
    assert 'data-code="RECOVERED"' in page
    assert "Complete with the client now" in page


def test_the_measures_section_costs_one_query_whatever_the_history(
    alice, robin, django_assert_num_queries
):
    from measures.services import client_summary

    browser = signed_in(alice)
    for total in (3, 2, 1):
        browser.post(_url(robin), answers_post([total] * 8 + [0]))
    with django_assert_num_queries(1):
        summary = client_summary(robin)
    assert summary["summaries"][0].change.first == 24
    assert summary["summaries"][0].change.last == 8


def test_scores_of_a_practice_instrument_join_the_same_query(
    alice, ada, robin, django_assert_num_queries
):
    from measures import practice_instruments
    from measures.services import administration_record, client_summary

    defined = practice_instruments.define(
        name="Own Scale",
        question="",
        items=["A", "B"],
        scale=["No", "Yes"],
        bands=[],
        by=ada,
    )
    for answers in ([1, 1], [0, 1], [0, 0]):
        administration_record(
            client=robin, instrument=defined.spec, answers=answers, by=alice
        )
    administration_record(client=robin, instrument=PHQ9, answers=[1] * 9, by=alice)
    client_summary(robin)  # the instrument's definition is read once per process
    with django_assert_num_queries(1):
        summary = client_summary(robin)
    own = summary["summaries"][-1]
    assert own.instrument.name == "Own Scale"
    assert (own.first_scored.total, own.latest.total, own.change) == (2, 0, None)
    assert own.no_change_reason and summary["summaries"][0].latest.total == 9
    assert summary["alerts"][0].alert_code  # the PHQ-9's item 9 above 0


def test_bob_reads_scores_but_may_not_complete(alice, bob, robin):
    signed_in(alice).post(_url(robin), answers_post([1] * 9))
    admin = Administration.objects.get()
    bobs = signed_in(bob)
    assert bobs.get(admin.get_absolute_url()).status_code == 200
    page = bobs.get(robin.get_absolute_url()).content.decode()
    assert "9 · Mild" in page and "Complete with the client now" not in page
    assert bobs.get(_url(robin)).status_code == 403
    assert bobs.post(_url(robin), answers_post([0] * 9)).status_code == 403


def test_it_checks_ownership(alice, charlie, ada, robin):
    signed_in(alice).post(_url(robin), answers_post([1] * 9))
    admin = Administration.objects.get()
    for stranger in (charlie, ada):
        browser = signed_in(stranger)
        assert browser.get(_url(robin)).status_code == 404
        assert browser.get(admin.get_absolute_url()).status_code == 404
    assert Administration.objects.count() == 1
