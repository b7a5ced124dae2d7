"""Integration ratings: one field per active indicator, grouped, labelled clinician-rated and
non-standardised, last session's value beside it, validated against each scale."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sessions.capture import services as services
from sessions.models import IntegrationIndicator, IntegrationRating
from tests.factories import make_session

NY = ZoneInfo("America/New_York")


def ind(code):
    return IntegrationIndicator.objects.get(code=code)


def field(code):
    return f"indicator_{ind(code).id}"


def test_form_offers_active_indicators_grouped_with_labels(
    client, alice, alices_session
):
    client.force_login(alice)
    response = client.get(reverse("sessions:ratings", args=[alices_session.code]))
    html = response.content.decode()
    assert response.status_code == 200
    for group in [
        "FACES qualities",
        "Signs of integrating implicit memory",
        "Triangle of well-being",
        "River of integration",
    ]:
        assert group in html
    active = IntegrationIndicator.objects.filter(retired_at__isnull=True).count()
    assert active == 14
    assert html.count("Clinician-rated, non-standardised</a> ·") == active
    assert "-3 = rigidity … 3 = chaos" in html
    assert "0 = absent … 4 = strongly present" in html
    assert "Integration of consciousness" not in html  # optional domains start retired
    assert AuditEvent.objects.filter(action="ratings.view").exists()


def test_saving_ratings_blank_means_not_rated(client, alice, alices_session):
    client.force_login(alice)
    url = reverse("sessions:ratings", args=[alices_session.code])
    response = client.post(
        url,
        {field("flexible"): "3", field("river-position"): "-2", field("stable"): ""},
    )
    assert response.status_code == 302
    values = dict(
        IntegrationRating.objects.filter(session=alices_session).values_list(
            "indicator__code", "value"
        )
    )
    assert values == {"flexible": 3, "river-position": -2}
    audit = AuditEvent.objects.get(action="ratings.update")
    assert audit.changes["indicators"] == ["flexible", "river-position"]
    # Clearing a value removes the rating.
    client.post(url, {field("flexible"): "", field("river-position"): "-2"})
    assert not IntegrationRating.objects.filter(indicator__code="flexible").exists()


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("flexible", "5", "Choose a value from 0 (absent) to 4 (strongly present)."),
        ("flexible", "-1", "Choose a value from 0 (absent) to 4 (strongly present)."),
        ("river-position", "4", "Choose a value from -3 (rigidity) to 3 (chaos)."),
        ("river-position", "x", "Choose a value from -3 (rigidity) to 3 (chaos)."),
    ],
)
def test_values_outside_the_scale_are_refused(
    client, alice, alices_session, code, value, message
):
    client.force_login(alice)
    response = client.post(
        reverse("sessions:ratings", args=[alices_session.code]),
        {field(code): value, field("stable"): "2"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IntegrationRating.objects.exists()


def test_the_service_checks_the_scale_too(alice, alices_session):
    with pytest.raises(services.CaptureError, match="from 0 to 4"):
        services.ratings_save(
            session=alices_session, values={ind("flexible").id: 9}, by=alice
        )


def test_last_sessions_value_is_shown_beside_each_field(
    client, alice, alices_client, alices_session
):
    earlier = make_session(
        alices_client, alice, starts_at=datetime(2026, 2, 23, 10, 0, tzinfo=NY)
    )
    unrated = (
        make_session(  # the previous session had no ratings: skip to the one before
            alices_client, alice, starts_at=datetime(2026, 2, 27, 10, 0, tzinfo=NY)
        )
    )
    services.ratings_save(session=earlier, values={ind("coherent").id: 1}, by=alice)
    client.force_login(alice)
    html = client.get(
        reverse("sessions:ratings", args=[alices_session.code])
    ).content.decode()
    assert "Last session: <strong>1</strong> (Feb 23, 2026)" in html
    assert unrated


def test_ratings_refused_on_a_signed_note(
    client, alice, alices_session, alices_signed_note
):
    client.force_login(alice)
    response = client.post(
        reverse("sessions:ratings", args=[alices_session.code]),
        {field("flexible"): "3"},
    )
    assert response.status_code == 400
    assert "record changes in an addendum" in response.content.decode().replace(
        "&#x27;", "'"
    )
    assert not IntegrationRating.objects.exists()


@pytest.mark.parametrize("n", [0, 14])
def test_ratings_page_queries_are_pinned(
    client, alice, alices_session, django_assert_num_queries, n
):
    values = {
        i.id: 1
        for i in IntegrationIndicator.objects.filter(retired_at__isnull=True)[:n]
    }
    services.ratings_save(session=alices_session, values=values, by=alice)
    client.force_login(alice)
    url = reverse("sessions:ratings", args=[alices_session.code])
    client.get(url)
    with django_assert_num_queries(RATINGS_QUERIES):
        assert client.get(url).status_code == 200


RATINGS_QUERIES = 9
