"""The indicator set is data: practice admins add, rename, retire and reinstate indicators;
history is kept and shown under the current label; retired indicators are not offered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from sessions.capture import services as services
from sessions.models import IntegrationIndicator, IntegrationRating


@pytest.fixture
def rated(alice, alices_session):
    indicator = IntegrationIndicator.objects.get(code="better-boundaries")
    services.ratings_save(session=alices_session, values={indicator.id: 3}, by=alice)
    return indicator


def test_list_shows_the_default_set(client, ada):
    client.force_login(ada)
    html = client.get(reverse("sessions:indicator_list")).content.decode()
    assert "Flexible" in html and "Position on the river of integration" in html
    assert "Bilateral integration" in html  # optional domains, retired until reinstated
    assert "Clinician-rated, non-standardised" in html


def test_admin_adds_an_indicator(client, ada):
    client.force_login(ada)
    response = client.post(
        reverse("sessions:indicator_create"),
        {
            "code": "mindsight-insight",
            "group": "PRACTICE",
            "label": "Mindsight: insight",
            "description": "",
            "scale_min": "0",
            "scale_max": "4",
            "min_label": "absent",
            "max_label": "strongly present",
            "in_composite": "on",
            "sort_order": "500",
        },
    )
    assert response.status_code == 302
    indicator = IntegrationIndicator.objects.get(code="mindsight-insight")
    # The practice wrote it: its status says so (DOMAIN.md 0.2, USER_DEFINED).
    assert indicator.is_active and indicator.instrument_status == "USER_DEFINED"
    audit = AuditEvent.objects.get(action="indicator.create")
    assert audit.changes["label"] == [None, "Mindsight: insight"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "flexible"}, "code", "already exists"),
        ({"code": "new"}, "code", "is reserved"),
        ({"scale_min": "4", "scale_max": "2"}, "scale_max", "above its bottom"),
        ({"label": ""}, "label", "This field is required"),
    ],
)
def test_add_validation_keeps_input(client, ada, data, field, message):
    client.force_login(ada)
    payload = {
        "code": "new-one",
        "group": "PRACTICE",
        "label": "Typed label",
        "scale_min": "0",
        "scale_max": "4",
        "min_label": "low",
        "max_label": "high",
        "sort_order": "10",
        **data,
    }
    response = client.post(reverse("sessions:indicator_create"), payload)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="high"' in html


def test_rename_keeps_history_and_shows_the_new_label(
    client, ada, alice, alices_session, rated
):
    client.force_login(ada)
    response = client.post(
        reverse("sessions:indicator_edit", args=[rated.code]),
        {
            "label": "Clearer boundaries",
            "description": "",
            "min_label": "absent",
            "max_label": "strongly present",
            "sort_order": rated.sort_order,
        },
    )
    assert response.status_code == 302
    audit = AuditEvent.objects.get(action="indicator.update")
    assert audit.changes["label"] == ["Better boundaries", "Clearer boundaries"]
    assert IntegrationRating.objects.get(indicator=rated).value == 3
    client.force_login(alice)
    page = client.get(reverse("sessions:capture", args=[alices_session.code]))
    assert "Clearer boundaries" in page.content.decode()


def test_retire_keeps_history_and_stops_offering_it(
    client, ada, alice, alices_session, second_session, rated
):
    client.force_login(ada)
    client.post(reverse("sessions:indicator_retire", args=[rated.code]))
    rated.refresh_from_db()
    assert not rated.is_active
    assert AuditEvent.objects.filter(action="indicator.retire").exists()
    client.force_login(alice)
    # The past session still shows its rating, marked retired.
    past = client.get(reverse("sessions:ratings", args=[alices_session.code]))
    assert "Better boundaries" in past.content.decode()
    assert "retired" in past.content.decode()
    capture = client.get(reverse("sessions:capture", args=[alices_session.code]))
    assert "Better boundaries" in capture.content.decode()
    # A new session does not offer it.
    new = client.get(reverse("sessions:ratings", args=[second_session.code]))
    assert "Better boundaries" not in new.content.decode()
    assert f"indicator_{rated.id}" not in new.content.decode()
    # Nor can a rating be forced in by a crafted post.
    client.post(
        reverse("sessions:ratings", args=[second_session.code]),
        {f"indicator_{rated.id}": "2"},
    )
    assert not IntegrationRating.objects.filter(session=second_session).exists()
    with pytest.raises(services.CaptureError, match="retired"):
        services.ratings_save(session=second_session, values={rated.id: 2}, by=alice)
    # The old rating is kept when other values of the past session change.
    client.post(
        reverse("sessions:ratings", args=[alices_session.code]),
        {f"indicator_{IntegrationIndicator.objects.get(code='stable').id}": "2"},
    )
    assert IntegrationRating.objects.get(indicator=rated).value == 3


def test_reinstate_offers_it_again(client, ada, alice, second_session):
    domain = IntegrationIndicator.objects.get(code="domain-narrative")
    assert not domain.is_active
    client.force_login(ada)
    client.post(reverse("sessions:indicator_reinstate", args=[domain.code]))
    domain.refresh_from_db()
    assert domain.is_active
    assert AuditEvent.objects.filter(action="indicator.reinstate").exists()
    client.force_login(alice)
    html = client.get(
        reverse("sessions:ratings", args=[second_session.code])
    ).content.decode()
    assert "Domains of integration" in html and "Narrative integration" in html


def test_indicator_list_queries_are_pinned(
    client, ada, alice, alices_session, django_assert_num_queries
):
    client.force_login(ada)
    url = reverse("sessions:indicator_list")
    client.get(url)
    with django_assert_num_queries(INDICATOR_LIST_QUERIES):
        client.get(url)
    for n in range(5):
        services.indicator_create(
            data={"code": f"extra-{n}", "group": "PRACTICE", "label": f"Extra {n}"},
            by=ada,
        )
    with django_assert_num_queries(INDICATOR_LIST_QUERIES):
        client.get(url)


INDICATOR_LIST_QUERIES = 3
