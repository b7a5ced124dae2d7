"""Demo data (called by manage.py seed_demo). Must be idempotent.

Every attended session of the demo therapists gets a realistic mix of IPNB events and integration
ratings. Each client follows one trajectory, so the dashboards have something to show:
- improving: ratings climb, more time within the window, ruptures repaired in session;
- flat: ratings hover, ruptures mostly repaired;
- declining: ratings fall, more hyper- and hypoarousal, repairs get rarer;
- open: ruptures are often left open (some repaired a session or two later, some never).
A seed per client (from its name and intake date) makes the data the same on every run and
every machine; sessions that already carry events or ratings are left alone, so a second run
changes nothing. Events are written directly (bulk) whatever the note's status: they stand for
what was recorded before the note was signed.
"""

from __future__ import annotations

import random
from collections import defaultdict

from sessions.models import (
    ArousalObservation,
    AttunementMoment,
    CoRegulationMoment,
    IntegrationIndicator,
    IntegrationLink,
    IntegrationRating,
    RepairEvent,
    RuptureEvent,
    SessionTag,
    TherapySession,
)

TRAJECTORIES = ["improving", "flat", "declining", "open"]
WITHDRAWAL = [m for m in RuptureEvent.Marker.values if ".W" in m]
CONFRONTATION = [m for m in RuptureEvent.Marker.values if ".C" in m]
STRATEGIES = RepairEvent.Strategy.values
CUES = AttunementMoment.Cue.values
FELT = RuptureEvent.FeltCue.values
TAG_VALUES = list(SessionTag.KIND_OF)


def trajectory_of(index: int) -> str:
    return TRAJECTORIES[index % len(TRAJECTORIES)]


def _level(trajectory: str, progress: float) -> float:
    """Where a 0..4 indicator sits at this point of treatment (0 = first session, 1 = last)."""
    return {
        "improving": 1.0 + 2.5 * progress,
        "flat": 2.0,
        "declining": 3.0 - 2.0 * progress,
        "open": 1.8 - 0.4 * progress,
    }[trajectory]


def _within_share(trajectory: str, progress: float) -> float:
    return {
        "improving": 0.45 + 0.45 * progress,
        "flat": 0.6,
        "declining": 0.7 - 0.45 * progress,
        "open": 0.5,
    }[trajectory]


def _repair_chance(trajectory: str, progress: float) -> float:
    return {
        "improving": 0.6 + 0.35 * progress,
        "flat": 0.7,
        "declining": 0.7 - 0.5 * progress,
        "open": 0.25,
    }[trajectory]


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def seed_events(users: dict) -> None:
    """Events and ratings for every demo session that has none yet (idempotent, deterministic)."""
    sessions = list(
        TherapySession.objects.filter(
            status=TherapySession.Status.ATTENDED,
            therapist__in=[u.pk for u in users.values()],
        )
        .select_related("client", "therapist")
        .order_by("client__legal_name", "client_id", "starts_at")
    )
    if not sessions:
        return
    done = set()
    for model in (
        AttunementMoment,
        RuptureEvent,
        RepairEvent,
        ArousalObservation,
        SessionTag,
        CoRegulationMoment,
        IntegrationLink,
        IntegrationRating,
    ):
        done.update(
            model.objects.filter(session__in=[s.id for s in sessions])
            .values_list("session_id", flat=True)
            .distinct()
        )
    by_client: dict[int, list[TherapySession]] = defaultdict(list)
    for session in sessions:
        by_client[session.client_id].append(session)
    indicators = list(IntegrationIndicator.objects.filter(retired_at__isnull=True))

    rows: dict[type, list] = defaultdict(list)
    # (rupture, session it should be repaired in, minute, strategies) once ruptures have ids
    planned_repairs = []
    clients = sorted(
        by_client.values(),
        key=lambda s: (s[0].client.legal_name, str(s[0].client.intake_date)),
    )
    for index, client_sessions in enumerate(clients):
        client = client_sessions[0].client
        trajectory = trajectory_of(index)
        rng = random.Random(f"ipnb-demo:{client.legal_name}:{client.intake_date}")
        river_side = rng.choice([-1, 1])  # this client drifts toward rigidity or chaos
        total = len(client_sessions)
        waiting = []  # open ruptures carried to later sessions: (rupture, type)
        for k, session in enumerate(client_sessions):
            progress = k / (total - 1) if total > 1 else 1.0
            if session.id in done:
                continue
            _session_rows(
                rows,
                planned_repairs,
                waiting,
                session,
                rng,
                trajectory,
                progress,
                river_side,
                indicators,
            )
    for model in (
        AttunementMoment,
        ArousalObservation,
        SessionTag,
        RuptureEvent,
        CoRegulationMoment,
        IntegrationLink,
    ):
        model.objects.bulk_create(rows[model], batch_size=1000)
    IntegrationRating.objects.bulk_create(
        rows[IntegrationRating], batch_size=1000, ignore_conflicts=True
    )
    RepairEvent.objects.bulk_create(
        [
            RepairEvent(
                session=session,
                rupture=rupture,
                minute=minute,
                strategies=strategies,
                extent=extent,
                outcomes=outcomes,
                created_by=session.therapist,
            )
            for rupture, session, minute, strategies, extent, outcomes in planned_repairs
        ],
        batch_size=1000,
    )
    from dashboards.services import request_rollup

    for client_sessions in by_client.values():
        if any(s.id not in done for s in client_sessions):
            request_rollup(client_sessions[0].client)


def _session_rows(
    rows,
    planned_repairs,
    waiting,
    session,
    rng,
    trajectory,
    progress,
    river_side,
    indicators,
):
    by = session.therapist
    length = session.duration_minutes
    common = {"session": session, "created_by": by}

    # Repairs, a session or two later, of ruptures left open before.
    for rupture in list(waiting):
        if rng.random() < (0.15 if trajectory == "open" else 0.5):
            waiting.remove(rupture)
            planned_repairs.append(
                (
                    rupture,
                    session,
                    rng.randint(2, 15),
                    rng.sample(STRATEGIES[3:9], rng.randint(1, 2)),
                    rng.randint(2, 5),
                    ["TALKED_ABOUT_IT"]
                    + (["FELT_HEARD"] if rng.random() < 0.6 else []),
                )
            )

    level = _level(trajectory, progress)
    for _ in range(rng.randint(2, 5) + (2 if trajectory == "improving" else 0)):
        rows[AttunementMoment].append(
            AttunementMoment(
                minute=rng.randint(1, length - 1),
                process=rng.choices(
                    ["MATCH", "MISMATCH", "MIRRORING", "SYNCHRONY"],
                    weights=[3 + level, 4.5 - level, 1, 1],
                )[0],
                cue_channels=rng.sample(CUES, rng.randint(1, 2)),
                direction=rng.choice(["T_TO_C", "C_TO_T", "MUTUAL"]),
                quality=_clamp(level + rng.uniform(0, 1.5), 1, 5),
                **common,
            )
        )

    rupture_count = rng.choices(
        [0, 1, 2], weights=[3, 3, 1 + (2 if trajectory != "improving" else 0)]
    )[0]
    for _ in range(rupture_count):
        rupture_type = rng.choice(["WITHDRAWAL", "WITHDRAWAL", "CONFRONTATION"])
        markers = rng.sample(
            WITHDRAWAL if rupture_type == "WITHDRAWAL" else CONFRONTATION,
            rng.randint(1, 2),
        )
        minute = rng.randint(5, max(6, length - 15))
        rupture = RuptureEvent(
            client_id=session.client_id,
            minute=minute,
            rupture_type=rupture_type,
            markers=markers,
            actor="CLIENT" if rng.random() < 0.85 else "THERAPIST",
            salience=rng.randint(2, 5),
            alliance_component=rng.choice(["TASK", "GOAL", "BOND", "BOND"]),
            therapist_felt_cues=rng.sample(FELT, rng.randint(0, 2)),
            **common,
        )
        rows[RuptureEvent].append(rupture)
        if rng.random() < _repair_chance(trajectory, progress):
            immediate = rupture_type == "WITHDRAWAL" and rng.random() < 0.5
            strategies = rng.sample(
                sorted(RepairEvent.IMMEDIATE) if immediate else STRATEGIES[3:9],
                rng.randint(1, 2),
            )
            planned_repairs.append(
                (
                    rupture,
                    session,
                    min(length, minute + rng.randint(1, 12)),
                    strategies,
                    rng.randint(2, 5),
                    ["TALKED_ABOUT_IT"]
                    + (["FELT_HEARD"] if rng.random() < 0.7 else []),
                )
            )
        else:
            waiting.append(rupture)

    within = _within_share(trajectory, progress)
    for _ in range(rng.randint(2, 4)):
        roll = rng.random()
        zone = (
            "WITHIN" if roll < within else ("HYPER" if rng.random() < 0.6 else "HYPO")
        )
        rows[ArousalObservation].append(
            ArousalObservation(
                minute=rng.randint(0, length),
                zone=zone,
                at_edge=rng.random() < 0.3,
                intensity=None if zone == "WITHIN" else rng.randint(1, 4),
                **common,
            )
        )

    for _ in range(rng.choices([0, 1, 2], weights=[3, 3, 1])[0]):
        value = rng.choice(TAG_VALUES)
        rows[SessionTag].append(
            SessionTag(
                minute=rng.randint(1, length),
                kind=SessionTag.KIND_OF[value],
                value=value,
                **common,
            )
        )

    _coregulation_and_links(rows, session, trajectory, progress, common)

    for indicator in indicators:
        if indicator.group == IntegrationIndicator.Group.RIVER:
            # Nearer the harmonious flow (0) as integration grows.
            distance = max(0.0, 3.2 - level) * river_side
            value = _clamp(distance + rng.uniform(-0.6, 0.6), -3, 3)
        else:
            value = _clamp(level + rng.uniform(-0.7, 0.7), 0, 4)
        value = max(indicator.scale_min, min(indicator.scale_max, value))
        rows[IntegrationRating].append(
            IntegrationRating(
                session=session, indicator=indicator, value=value, rated_by=by
            )
        )


ACTS = CoRegulationMoment.Act.values
LINKS = IntegrationLink.Link.values


def _settle_chance(trajectory: str, progress: float) -> float:
    """How likely the client settles when the therapist lends regulation."""
    return {
        "improving": 0.4 + 0.55 * progress,
        "flat": 0.55,
        "declining": 0.5 - 0.4 * progress,
        "open": 0.45,
    }[trajectory]


def _coregulation_and_links(rows, session, trajectory, progress, common) -> None:
    """Co-regulation and integration links, from a generator of their own (seeded by the
    client and the session's time) so that adding them left every other demo value as it was.
    When the client's arousal leaves the window the therapist lends regulation and notes
    their own arousal, nearly always within the window; the client settles more often as
    treatment improves. Links between thoughts and feelings, body and meaning, past and
    present come more often as integration grows."""
    rng = random.Random(
        f"ipnb-demo-coreg:{session.client.legal_name}:{session.starts_at:%Y-%m-%d %H:%M}"
    )
    length = session.duration_minutes
    settles = _settle_chance(trajectory, progress)
    outside = [
        a
        for a in rows[ArousalObservation]
        if a.session is session and a.zone != ArousalObservation.Zone.WITHIN
    ]
    for arousal in outside:
        minute = min(length, arousal.minute + rng.randint(0, 3))
        roll = rng.random()
        rows[CoRegulationMoment].append(
            CoRegulationMoment(
                minute=minute,
                acts=rng.sample(ACTS, rng.randint(1, 3)),
                client_response="SETTLED"
                if roll < settles
                else ("NO_CHANGE" if roll < settles + 0.3 else "ESCALATED"),
                **common,
            )
        )
        zone = "WITHIN" if rng.random() < 0.9 else "HYPER"
        rows[ArousalObservation].append(
            ArousalObservation(
                minute=minute,
                zone=zone,
                whose=ArousalObservation.Whose.THERAPIST,
                at_edge=rng.random() < 0.4,
                intensity=None if zone == "WITHIN" else rng.randint(1, 2),
                **common,
            )
        )
    for _ in range(
        rng.choices([0, 1, 2], weights=[4 - 3 * settles, 3, 1 + 3 * settles])[0]
    ):
        rows[IntegrationLink].append(
            IntegrationLink(
                minute=rng.randint(1, length), link=rng.choice(LINKS), **common
            )
        )
