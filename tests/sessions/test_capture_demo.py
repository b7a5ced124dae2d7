"""Demo IPNB data: every attended session gets events and ratings, trajectories differ between
clients, a second run changes nothing, and the same data comes back every time."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import mean
from zoneinfo import ZoneInfo

from sessions.capture.demo import seed_events, trajectory_of
from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    CoRegulationMoment,
    IntegrationLink,
    IntegrationRating,
    RepairEvent,
    RuptureEvent,
    SessionTag,
    TherapySession,
)
from tests.factories import make_client, make_session

NY = ZoneInfo("America/New_York")
MODELS = [
    AttunementMoment,
    RuptureEvent,
    RepairEvent,
    ArousalObservation,
    SessionTag,
    CoRegulationMoment,
    IntegrationLink,
    IntegrationRating,
]


def build(alice):
    clients = []
    for n in range(4):
        client = make_client(alice, legal_name=f"Demo Client{n}")
        for week in range(12):
            make_session(
                client,
                alice,
                starts_at=datetime(2026, 1, 5, 10, 0, tzinfo=NY)
                + timedelta(weeks=week),
            )
        make_session(  # a no-show gets nothing
            client,
            alice,
            starts_at=datetime(2026, 4, 1, 10, 0, tzinfo=NY),
            status=TherapySession.Status.NO_SHOW,
        )
        clients.append(client)
    return clients


def counts():
    return [m.objects.count() for m in MODELS]


def composite(client, sessions_slice):
    sessions = list(
        TherapySession.objects.filter(
            client=client, status=TherapySession.Status.ATTENDED
        ).order_by("starts_at")
    )[sessions_slice]
    return mean(
        IntegrationRating.objects.filter(
            session__in=sessions, indicator__in_composite=True
        ).values_list("value", flat=True)
    )


def test_every_attended_session_gets_events_and_ratings(alice):
    clients = build(alice)
    seed_events({"alice": alice})
    for session in TherapySession.objects.filter(status="ATTENDED"):
        assert IntegrationRating.objects.filter(session=session).count() == 14
        assert AttunementMoment.objects.filter(session=session).exists()
        assert ArousalObservation.objects.filter(session=session).exists()
    assert not IntegrationRating.objects.filter(session__status="NO_SHOW").exists()
    # Trajectories differ: the improving client climbs, the declining one falls.
    trajectories = {trajectory_of(i): c for i, c in enumerate(clients)}
    improving, declining = trajectories["improving"], trajectories["declining"]
    assert composite(improving, slice(-3, None)) > composite(improving, slice(0, 3)) + 1
    assert composite(declining, slice(-3, None)) < composite(declining, slice(0, 3)) - 1
    # Some ruptures stay open, some are repaired in a later session.
    assert RuptureEvent.objects.filter(repair__isnull=True).exists()
    repairs = RepairEvent.objects.select_related("rupture")
    assert any(r.session_id != r.rupture.session_id for r in repairs)
    assert all(
        r.minute >= r.rupture.minute
        for r in repairs
        if r.session_id == r.rupture.session_id
    )
    open_client = trajectories["open"]
    assert (
        RuptureEvent.objects.filter(client=open_client, repair__isnull=True).count()
        > RuptureEvent.objects.filter(client=improving, repair__isnull=True).count()
    )
    # Markers always match the rupture type.
    for rupture in RuptureEvent.objects.all():
        assert all(
            RuptureEvent.marker_type(m) == rupture.rupture_type for m in rupture.markers
        )


def test_seeding_twice_changes_nothing_and_is_deterministic(
    alice, django_assert_max_num_queries
):
    build(alice)
    with django_assert_max_num_queries(30):
        seed_events({"alice": alice})
    first = counts()
    signature = sorted(
        RuptureEvent.objects.values_list("session__starts_at", "minute", "rupture_type")
    )
    seed_events({"alice": alice})
    assert counts() == first
    for model in MODELS:
        model.objects.all().delete()
    seed_events({"alice": alice})
    assert counts() == first
    assert (
        sorted(
            RuptureEvent.objects.values_list(
                "session__starts_at", "minute", "rupture_type"
            )
        )
        == signature
    )


def _settled_share(client) -> float:
    moments = CoRegulationMoment.objects.filter(session__client=client)
    return moments.filter(client_response="SETTLED").count() / moments.count()


def test_the_demo_shows_co_regulation_and_integration_links(alice):
    """The therapist lends regulation where the client's arousal left the window, and their
    own arousal, noted then, stays nearly always within it; the improving client settles more
    often and links more than the declining one by the end."""
    clients = build(alice)
    seed_events({"alice": alice})
    client_out = ArousalObservation.objects.filter(whose="CLIENT").exclude(
        zone="WITHIN"
    )
    assert CoRegulationMoment.objects.count() == client_out.count() > 0
    for moment in CoRegulationMoment.objects.all():
        assert client_out.filter(
            session=moment.session_id, minute__lte=moment.minute
        ).exists()
        assert moment.acts and set(moment.acts) <= set(CoRegulationMoment.Act.values)
    own = ArousalObservation.objects.filter(whose="THERAPIST")
    assert own.count() == CoRegulationMoment.objects.count()
    assert own.filter(zone="WITHIN").count() > 0.75 * own.count()
    trajectories = {trajectory_of(i): c for i, c in enumerate(clients)}
    assert _settled_share(trajectories["improving"]) > _settled_share(
        trajectories["declining"]
    )
    assert set(IntegrationLink.objects.values_list("link", flat=True)) <= set(
        IntegrationLink.Link.values
    )
    assert (
        IntegrationLink.objects.filter(
            session__client=trajectories["improving"]
        ).count()
        > 0
    )
