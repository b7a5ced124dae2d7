"""Co-regulation on the trajectory: the moments the therapist lent regulation (by whether the
client settled), the therapist's own arousal beside the client's, and the client's integration
links, counted per session by the rollup and drawn with a data table, clinician-rated."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dashboards import reports, services
from dashboards.models import SessionRollup
from sessions.models import ArousalObservation, CoRegulationMoment, IntegrationLink
from tests.dashboards.helpers import arousal, session, weeks_ago
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def own_arousal(sess, zone: str, minute: int = 12):
    return ArousalObservation.objects.create(
        session=sess,
        zone=zone,
        minute=minute,
        whose=ArousalObservation.Whose.THERAPIST,
        intensity=None if zone == "WITHIN" else 2,
        created_by=sess.therapist,
    )


def coreg(sess, response: str, minute: int = 12):
    return CoRegulationMoment.objects.create(
        session=sess,
        minute=minute,
        acts=["PACE", "BREATH"],
        client_response=response,
        created_by=sess.therapist,
    )


def link(sess, code: str, minute: int = 30):
    return IntegrationLink.objects.create(
        session=sess, minute=minute, link=code, created_by=sess.therapist
    )


@pytest.fixture
def course(alice):
    """Session 1: the client leaves the window twice and comes back once; the therapist lends
    regulation twice (settled, then escalated), stays within the window once and leaves it
    once; one link. Session 2: the client within the window, nothing else."""
    client = make_client(alice, legal_name="Coreg Example")
    first = session(client, alice, weeks_ago(2))
    second = session(client, alice, weeks_ago(1))
    arousal(first, "HYPER", 10)
    arousal(first, "HYPO", 20)
    arousal(first, "WITHIN", 25)
    own_arousal(first, "WITHIN", 11)
    own_arousal(first, "HYPER", 21)
    coreg(first, "SETTLED", 11)
    coreg(first, "ESCALATED", 21)
    link(first, "BODY_MEANING")
    arousal(second, "WITHIN", 10)
    services.rollup_refresh_client(client_id=client.id)
    return client, first, second


def test_the_rollup_counts_co_regulation_apart_from_the_clients_arousal(course):
    client, first, second = course
    one = SessionRollup.objects.get(session=first)
    # The therapist's own arousal never enters the client's window of tolerance.
    assert (one.hyper, one.within, one.hypo) == (1, 1, 1)
    assert (one.own_within, one.own_outside) == (1, 1)
    assert (one.coreg_settled, one.coreg_unsettled, one.links) == (1, 1, 1)
    two = SessionRollup.objects.get(session=second)
    assert (two.own_within, two.own_outside, two.coreg_settled, two.links) == (
        0,
        0,
        0,
        0,
    )


def test_the_trajectory_lists_co_regulation_per_session(course):
    client, _first, _second = course
    data = reports.trajectory(client.id)
    assert [s["coreg_cells"] for s in data.sessions] == [
        ["1", "1", "33%", "50%", "1"],
        ["0", "0", "100%", "–", "0"],
    ]
    assert (data.totals["coreg"], data.totals["coreg_settled"]) == (2, 1)
    assert data.totals["links"] == 1


def test_the_trajectory_page_draws_it_clinician_rated(client, alice, course):
    record, _first, _second = course
    client.force_login(alice)
    html = client.get(
        reverse("dashboards:trajectory", args=[record.code])
    ).content.decode()
    assert 'id="h-coreg"' in html
    assert 'id="chart-coregulation"' in html
    section = html[html.index('id="h-coreg"') : html.index('id="h-ruptures"')]
    assert 'href="/sources/#co-regulation"' in section
    assert "Clinician-rated" in section
    assert "2 co-regulation moments, 1 settled; 1 integration link." in section
    start = html.index('id="trajectory-data"')
    payload = html[html.index(">", start) + 1 : html.index("</script>", start)]
    chart = json.loads(payload)["coregulation"]
    assert chart["settled"] == [1, 0]
    assert chart["unsettled"] == [1, 0]
    assert chart["links"] == [1, 0]
    assert chart["own_within"] == [0.5, None]
    assert chart["client_within"] == [pytest.approx(1 / 3), 1.0]


def test_a_client_without_co_regulation_gets_a_plain_sentence(client, alice):
    record = make_client(alice, legal_name="No Coreg")
    arousal(session(record, alice, weeks_ago(1)), "WITHIN")
    services.rollup_refresh_client(client_id=record.id)
    client.force_login(alice)
    html = client.get(
        reverse("dashboards:trajectory", args=[record.code])
    ).content.decode()
    assert "No co-regulation moment or integration link recorded." in html
    assert 'id="chart-coregulation"' not in html
