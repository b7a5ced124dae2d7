"""Demo data (called by manage.py seed_demo). Must be idempotent.

Six months of weekly sessions for every client of the demo therapists, mostly attended with
signed notes in every format, some cancellations and no-shows, drafts, unwritten notes (some
late), notes awaiting co-signature, a few returned with comments, a few addenda, and sessions
today and next week. Random draws are seeded by the client's name, so the practice is the same
on every machine; a client who already has sessions is left alone, so a second run changes
nothing.

Signed history is inserted in bulk (the signed-note trigger guards UPDATE and DELETE, not
INSERT), with the same content hash the signing service computes; the few returns, addenda and
comments go through the services so that their state and audit trail are exactly the real ones.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Supervision
from clients.models import CaseAssignment, Client, TreatmentGoal
from sessions.models import NoteSignature, ProgressNote, TherapySession
from sessions.notes import formats as note_formats
from sessions.notes import services as services

THERAPISTS = [
    "maya@demo.ipnb-notes.test",
    "theo@demo.ipnb-notes.test",
    "priya@demo.ipnb-notes.test",
    "sol@demo.ipnb-notes.test",
    "noor@demo.ipnb-notes.test",
    "ben@demo.ipnb-notes.test",
]
WEEKS = 26
FORMATS = [f.value for f in ProgressNote.Format]

TEXT = {
    "subjective": [
        "Says the week felt lighter. Slept better after the family visit and noticed fewer "
        "racing thoughts at night.",
        "Reports a hard week at work: felt criticised in a meeting and 'shut down' for the "
        "afternoon. Wants to understand why it hit so hard.",
        "Describes a calmer week. Used the breathing practice twice when irritated with a "
        "partner and 'it actually helped'.",
        "Came in tired. Says the anniversary of a loss is close and memories keep coming back.",
    ],
    "objective": [
        "Arrived on time, casually dressed. Affect brighter than last week, steady eye contact, "
        "speech at a normal pace. Within the window of tolerance most of the session.",
        "Restless at first, looked at the floor when describing the meeting. Settled after a "
        "grounding exercise; voice softened in the second half.",
        "Relaxed posture, laughed easily. Brief tearfulness when speaking of a parent, "
        "recovered without support.",
        "Slowed speech and flat affect early on; moved toward hypoarousal when the loss came "
        "up, came back with orienting to the room.",
    ],
    "assessment": [
        "Steady progress toward the goal of noticing overwhelm early. Able to name body cues "
        "before reacting, which is new.",
        "Criticism remains a strong trigger linked to early experiences. Repair in the room "
        "went well and is building trust.",
        "Gains are holding. More flexible responses at home; integration of the new skills "
        "into daily life is under way.",
        "Grief is active but the client stays connected. No new risk. Needs a slower pace "
        "for the next few weeks.",
    ],
    "data": [
        "Talked about a tense week at work and a better weekend. Appeared calm, engaged and "
        "reflective. Practised naming body sensations; used the hand model to explain "
        "'flipping the lid'.",
        "Reported two arguments at home. Looked tired but engaged. We slowed down, tracked "
        "arousal together and tried a short grounding practice.",
    ],
    "behavior": [
        "Arrived a few minutes late and apologised twice. Fidgeted early on, then settled. "
        "Reported feeling on edge since the weekend.",
        "Calm and talkative. Reported using the pause practice before answering a difficult "
        "email.",
    ],
    "goal": [
        "Goal 1: notice the early signs of overwhelm and use a grounding practice.",
        "Goal 2: express needs in close relationships without shutting down.",
    ],
    "problem": [
        "Panic symptoms when driving on the freeway, avoided for three weeks.",
        "Conflict with a teenage child escalating into shouting most evenings.",
    ],
    "intervention": [
        "Grounding and orienting; psychoeducation on the window of tolerance; tracked body "
        "cues together.",
        "Narrative linking of the recent argument to earlier experiences; metacommunication "
        "about a moment of misattunement in session.",
        "Co-regulation through pacing and tone; wheel of awareness practice, short version.",
    ],
    "response": [
        "Engaged well; said the practice 'slowed things down'. Could name two early cues.",
        "Defensive at first, then curious. Agreed the pattern 'sounds familiar'.",
        "Visible relief; breathing slowed and shoulders dropped.",
    ],
    "narrative": [
        "The client talked about a week of small wins and one setback with a colleague. We "
        "looked at what happened in the body before the setback and practised noticing it. "
        "The client left calmer and said the session 'made sense of it'.",
        "A quieter session. The client spoke about missing a friend who moved away; we stayed "
        "with the sadness and with what the friendship gave. Good connection throughout.",
    ],
}
PLANS = [
    "Continue weekly sessions. Practise the grounding exercise once a day and note what "
    "helps.",
    "Weekly sessions. Try the pause practice before replying to difficult messages; review "
    "next week.",
    "Continue weekly. Keep a short log of moments of overwhelm and what came just before.",
    "Meet weekly; slower pace for the next few sessions. Gentle daily walk.",
]
RETURN_COMMENTS = [
    "Please name the interventions you used in the plan and link them to goal 1.",
    "The assessment needs a line on progress toward the goals. Risk was not assessed: "
    "please complete the risk section.",
]
COMMENTS = [
    "Nice work staying with the rupture instead of moving past it.",
    "Consider tracking arousal across the session; it may show the pattern more clearly.",
]
ADDENDA = [
    "Client called the next day to say the session had helped and asked to move the next "
    "appointment to Thursday.",
    "Correction: the homework agreed was the pause practice, not the breathing exercise.",
]


def _interventions():
    from sessions.notes.models import INTERVENTIONS

    return [code for code, _ in INTERVENTIONS if code != "OTHER"]


def _sections(rng: random.Random, fmt: str) -> dict:
    return {key: rng.choice(TEXT[key]) for key in note_formats.FORMAT_SECTIONS[fmt]}


def seed_sessions(users: dict) -> None:
    """Six months of sessions and notes for each demo therapist's clients (idempotent)."""
    therapists = [users[email] for email in THERAPISTS if email in users]
    now = timezone.now()
    today = timezone.localdate()
    cosigners = {
        link.supervisee_id: link.supervisor
        for link in Supervision.objects.current()
        .filter(supervisee__in=therapists, requires_cosignature=True)
        .select_related("supervisor")
    }
    supervisors = {
        link.supervisee_id: link.supervisor
        for link in Supervision.objects.current()
        .filter(supervisee__in=therapists)
        .select_related("supervisor")
    }
    assignments = (
        CaseAssignment.objects.filter(
            therapist__in=therapists, role=CaseAssignment.Role.PRIMARY
        )
        .select_related("client", "therapist")
        .order_by("client__legal_name")
    )
    seeded = set(
        TherapySession.objects.filter(
            client_id__in=assignments.values("client_id")
        ).values_list("client_id", flat=True)
    )
    goals: dict[int, list[TreatmentGoal]] = {}
    for goal in TreatmentGoal.objects.filter(
        client_id__in=assignments.values("client_id")
    ).order_by("created_at"):
        goals.setdefault(goal.client_id, []).append(goal)
    interventions = _interventions()
    follow_up: list = []

    with transaction.atomic():
        for index, assignment in enumerate(assignments):
            client, therapist = assignment.client, assignment.therapist
            if client.pk in seeded or client.status == Client.Status.WAITLIST:
                continue
            rng = random.Random(f"ipnb-demo-{client.legal_name}")
            follow_up += _seed_client(
                rng,
                index=index,
                client=client,
                therapist=therapist,
                cosigner=cosigners.get(therapist.pk),
                supervisor=supervisors.get(therapist.pk),
                goals=goals.get(client.pk, []),
                interventions=interventions,
                now=now,
                today=today,
            )
        for action in follow_up:
            action()


def _seed_client(
    rng,
    *,
    index,
    client,
    therapist,
    cosigner,
    supervisor,
    goals,
    interventions,
    now,
    today,
) -> list:
    fmt_home = FORMATS[index % len(FORMATS)]
    weekday_offset = 0 if index % 5 == 0 else rng.randint(1, 6)
    hour = rng.choice([9, 10, 11, 13, 14, 15, 16, 17])
    start_day = today - timedelta(weeks=WEEKS) + timedelta(days=weekday_offset)
    first_day = max(start_day, client.intake_date or start_day)
    last_day = client.discharge_date or (today + timedelta(days=7))

    sessions: list[TherapySession] = []
    day = start_day
    while day <= today + timedelta(days=7):
        if first_day <= day <= last_day:
            starts_at = timezone.make_aware(datetime.combine(day, time(hour, 0)))
            if starts_at > now:
                status = TherapySession.Status.SCHEDULED
            else:
                roll = rng.random()
                status = (
                    TherapySession.Status.CANCELLED
                    if roll < 0.06
                    else TherapySession.Status.LATE_CANCELLED
                    if roll < 0.09
                    else TherapySession.Status.NO_SHOW
                    if roll < 0.12
                    else TherapySession.Status.ATTENDED
                )
            sessions.append(
                TherapySession(
                    client=client,
                    therapist=therapist,
                    starts_at=starts_at,
                    duration_minutes=rng.choice([50, 50, 50, 53, 60]),
                    modality=TherapySession.Modality.INDIVIDUAL,
                    setting=rng.choice(
                        [TherapySession.Setting.IN_PERSON] * 3
                        + [TherapySession.Setting.TELEHEALTH]
                    ),
                    status=status,
                    service_code=rng.choice(["90834", "90837", "90837"]),
                )
            )
        day += timedelta(days=7)
    TherapySession.objects.bulk_create(sessions)

    attended = [
        s
        for s in sessions
        if s.status == TherapySession.Status.ATTENDED and s.starts_at <= now
    ]
    notes, signatures, goal_links, later = [], [], [], []
    for position, session in enumerate(attended):
        from_end = len(attended) - position  # 1 = the most recent attended session
        roll = rng.random()
        if from_end == 1 and roll < 0.3:
            continue  # not written yet: "notes to write" on the therapist's home
        if from_end == 1 and roll < 0.6:
            state = ProgressNote.Status.DRAFT
        elif cosigner and from_end <= 2:
            state = ProgressNote.Status.AWAITING_COSIGNATURE
        else:
            state = ProgressNote.Status.SIGNED
        fmt = fmt_home if rng.random() < 0.85 else rng.choice(FORMATS)
        risk_present = rng.random() < 0.03
        note = ProgressNote(
            session=session,
            client=client,
            author=therapist,
            format=fmt,
            sections=_sections(rng, fmt),
            plan=rng.choice(PLANS),
            interventions=rng.sample(interventions, rng.randint(1, 3)),
            risk_suicidal_ideation=ProgressNote.Risk.PRESENT
            if risk_present
            else rng.choice([ProgressNote.Risk.DENIED, ProgressNote.Risk.NONE]),
            risk_self_harm=ProgressNote.Risk.NONE,
            risk_harm_to_others=ProgressNote.Risk.NONE,
            risk_details="Passive thoughts, no plan or intent. Safety plan reviewed; "
            "crisis line numbers given; check in at the start of next session."
            if risk_present
            else "",
            next_session_on=(session.starts_at + timedelta(days=7)).date(),
            status=state,
            version=2,
        )
        chosen = rng.sample(goals, min(len(goals), rng.randint(0, 2))) if goals else []
        if state != ProgressNote.Status.DRAFT:
            signed_at = session.ends_at + timedelta(hours=rng.randint(1, 30))
            signed_at = min(signed_at, now)
            note.signed_at, note.signed_by = signed_at, therapist
            digest = services.note_content_hash(note, [str(g.code) for g in chosen])
            signatures.append(
                NoteSignature(
                    note=note,
                    kind=NoteSignature.Kind.AUTHOR,
                    signer=therapist,
                    signer_name=services.signer_name(therapist),
                    attestation=services.author_attestation(session),
                    content_hash=digest,
                    at=signed_at,
                )
            )
            if cosigner and state == ProgressNote.Status.SIGNED:
                cosigned_at = min(signed_at + timedelta(days=rng.randint(1, 4)), now)
                note.cosigned_at, note.cosigned_by = cosigned_at, cosigner
                signatures.append(
                    NoteSignature(
                        note=note,
                        kind=NoteSignature.Kind.COSIGN,
                        signer=cosigner,
                        signer_name=services.signer_name(cosigner),
                        attestation=services.cosign_attestation(session),
                        content_hash=digest,
                        at=cosigned_at,
                    )
                )
        notes.append(note)
        goal_links += [(note, g) for g in chosen]

    # Inserted as drafts so that their goals can be linked (the goals of a signed note are
    # locked in the database too), then moved to their state with one UPDATE per state.
    states = {id(n): n.status for n in notes}
    for note in notes:
        note.status = ProgressNote.Status.DRAFT
    ProgressNote.objects.bulk_create(notes)
    Through = ProgressNote.goals_addressed.through
    Through.objects.bulk_create(
        [Through(progressnote_id=n.pk, treatmentgoal_id=g.pk) for n, g in goal_links]
    )
    for state in (
        ProgressNote.Status.SIGNED,
        ProgressNote.Status.AWAITING_COSIGNATURE,
    ):
        ids = [n.pk for n in notes if states[id(n)] == state]
        ProgressNote.objects.filter(pk__in=ids).update(status=state)
    for note in notes:
        note.status = states[id(note)]
    for sig in signatures:
        sig.note_id = sig.note.pk
    NoteSignature.objects.bulk_create(signatures)

    # The rest goes through the services: their state and audit trail are the real ones.
    awaiting = [
        n for n in notes if n.status == ProgressNote.Status.AWAITING_COSIGNATURE
    ]
    signed = [n for n in notes if n.status == ProgressNote.Status.SIGNED]
    if cosigner and awaiting and index % 3 == 0:
        note = awaiting[0]
        comment = RETURN_COMMENTS[index % len(RETURN_COMMENTS)]
        later.append(
            lambda note=note, comment=comment: services.note_return(
                note=note, by=cosigner, comment=comment
            )
        )
    if signed and index % 4 == 1:
        note = signed[len(signed) // 2]
        text = ADDENDA[index % len(ADDENDA)]
        later.append(
            lambda note=note, text=text: services.addendum_add(
                note=note, by=therapist, text=text
            )
        )
    if supervisor and signed and index % 3 == 2:
        note = signed[-1]
        text = COMMENTS[index % len(COMMENTS)]
        later.append(
            lambda note=note, text=text: services.comment_add(
                note=note, by=supervisor, text=text
            )
        )
    return later
