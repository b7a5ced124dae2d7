"""Demo data (called by manage.py seed_demo). Must be idempotent.

About forty clients over the six therapists, with a few co-therapist assignments, 1-3 goals
each. A fixed random seed makes the practice the same on every machine; each client carries a
deterministic idempotency key, so a second run finds it and changes nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from clients.models import CaseAssignment, Client, TreatmentGoal

SEED = 4_2026
NAMESPACE = uuid.UUID("5f6b0b3e-8c1d-4f8a-9a57-2f3b6c1d0e41")
THERAPISTS = [
    "maya@demo.ipnb-notes.test",
    "theo@demo.ipnb-notes.test",
    "priya@demo.ipnb-notes.test",
    "sol@demo.ipnb-notes.test",
    "noor@demo.ipnb-notes.test",
    "ben@demo.ipnb-notes.test",
]
COUNT = 40

# (legal first name, preferred name or "", pronouns)
FIRST = [
    ("Alejandra", "Ale", "she/her"),
    ("Benjamin", "Ben", "he/him"),
    ("Chiamaka", "", "she/her"),
    ("Dmitri", "", "he/him"),
    ("Elena", "Lena", "she/her"),
    ("Farid", "", "he/him"),
    ("Grace", "", "she/her"),
    ("Haruto", "", "he/him"),
    ("Imani", "", "she/her"),
    ("Jordan", "Jo", "they/them"),
    ("Katarzyna", "Kasia", "she/her"),
    ("Luis", "", "he/him"),
    ("Mei", "", "she/her"),
    ("Nathaniel", "Nate", "he/him"),
    ("Olusegun", "Segun", "he/him"),
    ("Priyanka", "Pri", "she/they"),
    ("Quinn", "", "they/them"),
    ("Rafael", "Rafa", "he/him"),
    ("Siobhan", "", "she/her"),
    ("Tomasz", "Tom", "he/him"),
    ("Umaima", "", "she/her"),
    ("Valentina", "Vale", "she/her"),
    ("William", "Liam", "he/him"),
    ("Ximena", "", "she/her"),
    ("Yusuf", "", "he/him"),
    ("Zara", "", "she/her"),
    ("Adebayo", "Bayo", "he/him"),
    ("Beatriz", "Bia", "she/her"),
    ("Cameron", "Cam", "they/them"),
    ("Dalia", "", "she/her"),
    ("Emeka", "", "he/him"),
    ("Fatima", "", "she/her"),
    ("Gabriel", "Gabe", "he/him"),
    ("Hana", "", "she/her"),
    ("Ingrid", "", "she/her"),
    ("Jamal", "", "he/him"),
    ("Keala", "", "she/her"),
    ("Leon", "", "he/him"),
    ("Marisol", "Mari", "she/her"),
    ("Noa", "", "they/them"),
    ("Oskar", "", "he/him"),
    ("Paloma", "", "she/her"),
]
LAST = [
    "Abernathy",
    "Bello",
    "Castellanos",
    "Demir",
    "Eriksen",
    "Fitzgerald",
    "Gallagher",
    "Hosseini",
    "Ibarra",
    "Jovanovic",
    "Kowalski",
    "Lindqvist",
    "Mbeki",
    "Nakamura",
    "Okonkwo",
    "Petrov",
    "Quintero",
    "Rahman",
    "Sato",
    "Takahashi",
    "Underwood",
    "Varga",
    "Whitfield",
    "Xu",
    "Yilmaz",
    "Zamora",
    "Achebe",
    "Brennan",
    "Chaudhry",
    "Delacroix",
]
DIAGNOSES = [
    ("F41.1", "Generalized anxiety disorder"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F32.0", "Major depressive disorder, single episode, mild"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F43.23", "Adjustment disorder with mixed anxiety and depressed mood"),
    ("F43.21", "Adjustment disorder with depressed mood"),
    ("F40.10", "Social anxiety disorder, unspecified"),
    ("F41.0", "Panic disorder without agoraphobia"),
    ("F34.1", "Dysthymic disorder"),
    (
        "F90.0",
        "Attention-deficit hyperactivity disorder, predominantly inattentive type",
    ),
    ("Z63.0", "Problems in relationship with spouse or partner"),
    ("Z62.820", "Parent-biological child conflict"),
]
CONCERNS = [
    "Feels on edge most days since a change of job; sleep is short and the mind races at night.",
    "Grief after the death of a parent last year; finds it hard to talk about it with family.",
    "Arguments with their partner escalate quickly; both want to feel heard again.",
    "Low energy and little pleasure in things that used to matter; wants to reconnect with friends.",
    "Old memories of a car accident come back in traffic; avoids driving on the highway.",
    "Shuts down in meetings and then criticises themself for hours afterwards.",
    "A new baby at home; feels unsure of themself as a parent and isolated from friends.",
    "Moved countries two years ago and still feels between two worlds.",
    "Sudden waves of panic in crowded places, now avoiding the train.",
    "Conflict with a teenage child; both feel misunderstood.",
    "Finds it hard to rest; keeps busy to avoid feeling low.",
    "Wants to understand patterns in close relationships that repeat from childhood.",
]
GOALS = [
    "Notice early body signals of overwhelm and use a grounding practice before it peaks.",
    "Sleep through most nights, with a steady wind-down routine.",
    "Talk about the loss with one trusted person each week.",
    "Pause and name feelings during disagreements instead of escalating.",
    "Return to driving short distances on the highway.",
    "Speak up once in each team meeting.",
    "Spend time with a friend at least twice a month.",
    "Build a daily practice of a few minutes of reflective awareness.",
    "Take the train to work on two days a week.",
    "Have one calm, unhurried conversation with their child each week.",
    "Schedule rest without guilt on weekends.",
    "Recognise when old relational patterns show up, and try a new response.",
]
RELATIONSHIPS = ["partner", "sister", "brother", "mother", "father", "friend", "spouse"]


def _client_key(n: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"demo-client-{n}")


def seed_clients(users: dict) -> None:
    """Create the demo clients, their assignments and goals once; later runs change nothing."""
    rng = random.Random(SEED)
    today = timezone.localdate()
    therapists = [users[email] for email in THERAPISTS]
    existing = set(
        Client.objects.filter(
            idempotency_key__in=[_client_key(n) for n in range(COUNT)]
        ).values_list("idempotency_key", flat=True)
    )
    firsts = rng.sample(FIRST, COUNT)
    with transaction.atomic():
        for n in range(COUNT):
            # Draw every random value even for clients that exist, so that the sequence (and
            # so every other client) is the same whichever subset is missing.
            first, preferred, pronouns = firsts[n]
            last = rng.choice(LAST)
            if n % 13 == 5:
                status = Client.Status.WAITLIST
            elif n % 13 == 9:
                status = Client.Status.DISCHARGED
            else:
                status = Client.Status.ACTIVE
            born = date(rng.randint(1955, 2005), rng.randint(1, 12), rng.randint(1, 28))
            intake = today - timedelta(days=rng.randint(200, 420))
            diagnoses = rng.sample(DIAGNOSES, rng.choice([1, 1, 2]))
            concerns = rng.choice(CONCERNS)
            goals = rng.sample(GOALS, rng.randint(1, 3))
            goal_met = rng.random() < 0.2
            primary = therapists[n % len(therapists)]
            co = therapists[(n + 2) % len(therapists)] if n % 8 == 3 else None
            contact = rng.choice(FIRST)[0] + " " + last
            relationship = rng.choice(RELATIONSHIPS)
            if _client_key(n) in existing:
                continue
            client = Client.objects.create(
                idempotency_key=_client_key(n),
                legal_name=f"{first} {last}",
                preferred_name=preferred,
                pronouns=pronouns,
                date_of_birth=born,
                email=f"{first.lower()}.{last.lower()}@example.net",
                phone=f"555-01{n:02d}",
                emergency_contact_name=contact,
                emergency_contact_relationship=relationship,
                emergency_contact_phone=f"555-02{n:02d}",
                status=status,
                intake_date=None if status == Client.Status.WAITLIST else intake,
                discharge_date=today - timedelta(days=21)
                if status == Client.Status.DISCHARGED
                else None,
                consent_to_treatment_on=None
                if status == Client.Status.WAITLIST
                else intake,
                presenting_concerns=concerns,
                diagnoses=[{"code": c, "label": label} for c, label in diagnoses],
            )
            started = intake if status != Client.Status.WAITLIST else today
            CaseAssignment.objects.create(
                client=client,
                therapist=primary,
                role=CaseAssignment.Role.PRIMARY,
                started_on=started,
            )
            if co is not None:
                CaseAssignment.objects.create(
                    client=client,
                    therapist=co,
                    role=CaseAssignment.Role.CO_THERAPIST,
                    started_on=started + timedelta(days=28),
                )
            for i, text in enumerate(goals):
                TreatmentGoal.objects.create(
                    client=client,
                    text=text,
                    target_date=started + timedelta(days=180 + 60 * i),
                    status=TreatmentGoal.Status.MET
                    if goal_met and i == 0
                    else TreatmentGoal.Status.ACTIVE,
                    created_by=primary,
                )
