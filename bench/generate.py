"""Generate a large practice for the dashboards' benchmark, with PostgreSQL COPY.

60 clinicians (10 supervisors), 2,000 clients, 100,000 sessions over three years, about
1,050,000 IPNB events and 600,000 integration ratings, with progress notes whose encrypted
fields are real AES-GCM tokens from the key ring. Then the rollups are refreshed.

    DB_NAME=ipnb_bench IPNB_ENV=development .venv/bin/python bench/generate.py --reset

(or DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ipnb_bench). --reset drops and recreates
that database first; the generator refuses to run against a database that already has clients
otherwise, and refuses database names that do not contain "bench".

Every client also has a PHQ-9 and a GAD-7 at the first attended session and every 4th after
it, whose totals follow the client's course (the same gain that moves the integration
ratings). `--small` makes a practice a hundred times smaller, to check the generator itself.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")

CLINICIANS = 60
SUPERVISORS = 10
CLIENTS = 2000
SESSIONS = 100_000
YEARS = 3
PASSWORD = "bench-password-not-secret"
SEED = 20261125


def log(msg: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {msg}", flush=True)


def reset_database(name: str) -> None:
    """Drop and recreate the bench database through the maintenance database."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    conninfo = {
        "dbname": "postgres",
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
    }
    with psycopg.connect(
        **{k: v for k, v in conninfo.items() if v}, autocommit=True
    ) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- COPY helpers ---------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(str(v) for v in value) + "}"
    if isinstance(value, dict):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


class Copier:
    """Streams rows of one model into COPY, filling columns it was not given with defaults."""

    def __init__(self, cursor, model, columns: list[str]):
        from django.db import connection

        self.cursor = cursor
        self.table = model._meta.db_table
        given = set(columns)
        extra = []
        now = datetime.now(UTC)
        for field in model._meta.concrete_fields:
            if field.column in given:
                continue
            if getattr(field, "auto_now", False) or getattr(
                field, "auto_now_add", False
            ):
                value = now
            elif field.has_default():
                value = field.get_db_prep_save(field.get_default(), connection)
            elif field.null:
                value = None
            else:
                value = ""
            extra.append((field.column, _text(value)))
        self.columns = columns + [c for c, _ in extra]
        self.suffix = "".join("\t" + v for _, v in extra)
        self.buffer = io.StringIO()
        self.count = 0

    def row(self, *values) -> None:
        self.buffer.write("\t".join(_text(v) for v in values) + self.suffix + "\n")
        self.count += 1
        if self.count % 50_000 == 0:
            self.flush()

    def flush(self) -> None:
        data = self.buffer.getvalue()
        if not data:
            return
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with self.cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
            copy.write(data)
        self.buffer = io.StringIO()

    def close(self) -> int:
        self.flush()
        self.cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{self.table}\"', 'id'), "
            f'COALESCE((SELECT max(id) FROM "{self.table}"), 1))'
            if "id" in self.columns
            else "SELECT 1"
        )
        return self.count


def poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# PHQ-9 and GAD-7 at the first attended session and every MEASURE_EVERY-th after it.
MEASURE_EVERY = 4


def measure_answers(rng: random.Random, spec, total: int) -> list[int]:
    """Item answers (0-3) adding up to `total`, the risk item (the PHQ-9's item 9) left at 0:
    the benchmark raises no risk alert."""
    items = [k for k in range(len(spec.items)) if k + 1 != spec.risk_item]
    top = max(value for value, _ in spec.options)
    answers = [0] * len(spec.items)
    total = max(0, min(total, top * len(items)))
    for _ in range(total):
        k = rng.choice([k for k in items if answers[k] < top])
        answers[k] += 1
    return answers


def _flag_trigger(model, name: str) -> tuple[str, str]:
    """(table, trigger) of the model's trigger `name` as pgtrigger installs it."""
    [pgid] = [t.get_pgid(model) for t in model._meta.triggers if t.name == name]
    return model._meta.db_table, pgid


def generate(started: float) -> dict[str, int]:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import Supervision, User
    from clients.models import CaseAssignment, Client
    from ipnb_notes.fields import key_ring, place_aad
    from measures.instruments import GAD7, PHQ9
    from measures.models import Administration
    from sessions.models import (
        ArousalObservation,
        AttunementMoment,
        IntegrationIndicator,
        IntegrationRating,
        NoteSignature,
        ProgressNote,
        RepairEvent,
        RuptureEvent,
        SessionTag,
        TherapySession,
    )

    rng = random.Random(SEED)
    ring = key_ring()

    def seal(model, column: str, code, text: str) -> str:
        # Every token is bound to its row (ipnb_notes.fields): one per row, never shared.
        return ring.encrypt(text, aad=place_aad(model._meta.db_table, column, code))

    tz = ZoneInfo("America/New_York")
    now = datetime.now(UTC)
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=365 * YEARS)
    password = make_password(PASSWORD)
    counts: dict[str, int] = {}
    indicators = list(
        IntegrationIndicator.objects.filter(retired_at__isnull=True)
        .order_by("sort_order")
        .values_list("id", "in_composite", "scale_min", "scale_max")
    )

    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor, for COPY
        # The sessions come with `has_note` set (every attended one gets its note below) and
        # each rupture with `repaired`, so the triggers that would set them row by row (an
        # UPDATE of the parent per note and per repair) are off for this transaction's COPY;
        # switched on again after the commit, below, and a failure rolls the switch back.
        flag_triggers = [
            _flag_trigger(ProgressNote, "note_marks_session"),
            _flag_trigger(RepairEvent, "repair_marks_rupture"),
        ]
        for table, trigger in flag_triggers:
            cur.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
        # --- people -------------------------------------------------------------------
        users = Copier(
            raw,
            User,
            [
                "id",
                "code",
                "email",
                "full_name",
                "credentials",
                "role",
                "is_active",
                "is_staff",
                "is_superuser",
                "date_joined",
                "password",
            ],
        )
        clinicians = []
        uid = 0
        for i in range(CLINICIANS):
            uid += 1
            role = "SUPERVISOR" if i < SUPERVISORS else "THERAPIST"
            email = (
                f"supervisor{i + 1:02d}@bench.example"
                if role == "SUPERVISOR"
                else f"therapist{i - SUPERVISORS + 1:02d}@bench.example"
            )
            users.row(
                uid,
                uuid.uuid4(),
                email,
                f"Clinician {i + 1:02d}",
                "LMFT",
                role,
                True,
                False,
                False,
                now - timedelta(days=365 * YEARS + 30),
                password,
            )
            clinicians.append(uid)
        admins = []
        for i in range(3):
            uid += 1
            users.row(
                uid,
                uuid.uuid4(),
                f"admin{i + 1}@bench.example",
                f"Admin {i + 1}",
                "",
                "ADMIN",
                i < 2,
                False,
                False,
                now - timedelta(days=400),
                password,
            )
            admins.append(uid)
        counts["users"] = users.close()
        supervisors, therapists = clinicians[:SUPERVISORS], clinicians[SUPERVISORS:]

        links = Copier(
            raw,
            Supervision,
            [
                "id",
                "code",
                "supervisor_id",
                "supervisee_id",
                "started_on",
                "ended_at",
                "requires_cosignature",
                "created_at",
            ],
        )
        cosigned_by: dict[int, int] = {}
        lid = 0
        for i, therapist in enumerate(therapists):
            supervisor = supervisors[i % SUPERVISORS]
            requires = i % 5 < 2  # associates: co-signature required
            lid += 1
            links.row(
                lid,
                uuid.uuid4(),
                supervisor,
                therapist,
                first_day,
                None,
                requires,
                now,
            )
            if requires:
                cosigned_by[therapist] = supervisor
            if i % 7 == 0:  # an earlier, ended link to another supervisor
                lid += 1
                links.row(
                    lid,
                    uuid.uuid4(),
                    supervisors[(i + 3) % SUPERVISORS],
                    therapist,
                    first_day - timedelta(days=200),
                    datetime.combine(first_day, datetime.min.time(), tz),
                    False,
                    now,
                )
        counts["supervisions"] = links.close()
        log(f"users and supervision links: {counts}", started)

        # --- clients and their session counts ---------------------------------------------
        kinds = rng.choices(
            ["ACTIVE", "DISCHARGED", "WAITLIST"], [0.7, 0.26, 0.04], k=CLIENTS
        )
        wanted = []
        for kind in kinds:
            if kind == "WAITLIST":
                wanted.append(rng.randint(0, 2))
            else:
                wanted.append(max(4, int(rng.lognormvariate(3.7, 0.6))))
        total = sum(wanted)
        scale = SESSIONS / total
        wanted = [max(0, round(n * scale)) for n in wanted]
        weeks_max = 52 * YEARS - 1
        wanted = [min(n, int(weeks_max * 0.9)) for n in wanted]
        drift = SESSIONS - sum(wanted)
        while drift != 0:
            i = rng.randrange(CLIENTS)
            if kinds[i] == "WAITLIST":
                continue
            step = 1 if drift > 0 else -1
            if 4 <= wanted[i] + step <= int(weeks_max * 0.9):
                wanted[i] += step
                drift -= step

        clients = Copier(
            raw,
            Client,
            [
                "id",
                "code",
                "legal_name",
                "preferred_name",
                "status",
                "intake_date",
                "discharge_date",
                "presenting_concerns",
                "diagnoses",
                "created_at",
                "updated_at",
            ],
        )
        assignments = Copier(
            raw,
            CaseAssignment,
            [
                "id",
                "code",
                "client_id",
                "therapist_id",
                "role",
                "started_on",
                "ended_at",
                "created_at",
            ],
        )
        concerns = "Bench presenting concern."
        plan_client = []  # (client_id, therapist, status, first_week_start, n, weekday, hour)
        for cid in range(1, CLIENTS + 1):
            kind, n = kinds[cid - 1], wanted[cid - 1]
            therapist = clinicians[(cid - 1) % CLINICIANS]
            span_weeks = int(n / 0.9) + 1
            if kind == "ACTIVE":
                end = today - timedelta(days=rng.randint(0, 10))
                start = end - timedelta(weeks=span_weeks)
            elif kind == "DISCHARGED":
                latest_end = today - timedelta(days=30)
                earliest_end = first_day + timedelta(weeks=span_weeks)
                gap = max(0, (latest_end - earliest_end).days)
                end = earliest_end + timedelta(days=rng.randint(0, gap))
                start = end - timedelta(weeks=span_weeks)
            else:
                start = today - timedelta(days=rng.randint(0, 40))
                end = today
            start = max(start, first_day)
            client_code = uuid.uuid4()
            clients.row(
                cid,
                client_code,
                f"Client {cid:04d} Bench",
                "",
                kind,
                start,
                datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
                if kind == "DISCHARGED"
                else None,
                seal(Client, "presenting_concerns", client_code, concerns),
                "[]",
                now,
                now,
            )
            assignments.row(
                cid,
                uuid.uuid4(),
                cid,
                therapist,
                "PRIMARY",
                start,
                datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
                if kind == "DISCHARGED"
                else None,
                now,
            )
            plan_client.append(
                (cid, therapist, kind, start, n, rng.randint(0, 4), rng.randint(8, 18))
            )
        counts["clients"] = clients.close()
        counts["assignments"] = assignments.close()
        log("clients and assignments", started)

        # --- sessions, notes, events ---------------------------------------------------------
        sessions = Copier(
            raw,
            TherapySession,
            [
                "id",
                "code",
                "client_id",
                "therapist_id",
                "starts_at",
                "duration_minutes",
                "modality",
                "setting",
                "status",
                "service_code",
                "created_at",
                "updated_at",
                # Every attended session gets its note below: the flag the notes' trigger
                # would set row by row comes with the session (the trigger then finds it set).
                "has_note",
            ],
        )
        notes = Copier(
            raw,
            ProgressNote,
            [
                "id",
                "code",
                "session_id",
                "client_id",
                "author_id",
                "format",
                "sections",
                "interventions",
                "risk_suicidal_ideation",
                "risk_self_harm",
                "risk_harm_to_others",
                "risk_details",
                "plan",
                "status",
                "version",
                "created_at",
                "updated_at",
                "signed_at",
                "signed_by_id",
                "cosigned_at",
                "cosigned_by_id",
            ],
        )
        signatures = Copier(
            raw,
            NoteSignature,
            [
                "id",
                "note_id",
                "kind",
                "signer_id",
                "signer_name",
                "attestation",
                "content_hash",
                "at",
            ],
        )
        event_cols = ["id", "code", "session_id", "minute", "note", "created_by_id"]
        attune = Copier(
            raw,
            AttunementMoment,
            event_cols
            + ["process", "cue_channels", "direction", "quality", "created_at"],
        )
        arousal = Copier(
            raw,
            ArousalObservation,
            event_cols + ["zone", "at_edge", "intensity", "created_at"],
        )
        tags = Copier(raw, SessionTag, event_cols + ["kind", "value", "created_at"])
        ruptures = Copier(
            raw,
            RuptureEvent,
            event_cols
            + [
                "client_id",
                "rupture_type",
                "markers",
                "actor",
                "salience",
                "alliance_component",
                "created_at",
                # Whether a repair resolves it (the repairs' trigger would set it): a
                # rupture left for a later session is written once its fate is known.
                "repaired",
            ],
        )
        repairs = Copier(
            raw,
            RepairEvent,
            event_cols
            + ["rupture_id", "strategies", "extent", "outcomes", "created_at"],
        )
        ratings = Copier(
            raw,
            IntegrationRating,
            ["id", "session_id", "indicator_id", "value", "rated_by_id", "updated_at"],
        )
        administrations = Copier(
            raw,
            Administration,
            [
                "id",
                "code",
                "client_id",
                "session_id",
                "instrument",
                "mode",
                "responses",
                "total",
                "band",
                "unanswered",
                "risk_flag",
                "completed_at",
                "recorded_by_id",
            ],
        )
        sections = json.dumps({"subjective": "Bench note.", "plan": "Weekly."})
        digest = hashlib.sha256(b"bench").hexdigest()
        processes = ["MATCH", "MISMATCH", "REPAIR", "MIRRORING", "SYNCHRONY", "OTHER"]
        process_w = [0.42, 0.24, 0.14, 0.08, 0.08, 0.04]
        withdrawal = [
            "3RS2015.W1_DENIAL",
            "3RS2015.W2_MINIMAL_RESPONSE",
            "3RS2015.W4_AVOIDANT_STORYTELLING_TOPIC_SHIFT",
            "3RS2015.W5_DEFERENTIAL_APPEASING",
        ]
        confrontation = [
            "3RS2015.C1_COMPLAINTS_ABOUT_THERAPIST",
            "3RS2015.C2_REJECTS_INTERVENTION",
            "3RS2015.C5_COMPLAINTS_ABOUT_PROGRESS",
        ]
        strategies = [
            "R1_CLARIFY_MISUNDERSTANDING",
            "R4_INVITE_DISCUSSION_OF_RELATIONSHIP",
            "R5_ACKNOWLEDGE_CONTRIBUTION",
            "R9_VALIDATE_DEFENSIVE_POSTURE",
        ]
        tag_values = [
            ("PART", "PROTECTIVE_PART"),
            ("PART", "VULNERABLE_PART"),
            ("PART", "COMPASSIONATE_SELF"),
            ("TRIGGER", "BODY_SENSATION"),
            ("TRIGGER", "CONTEXT"),
        ]
        ids = {"s": 0, "n": 0, "sig": 0, "ev": 0, "ru": 0, "rp": 0, "r": 0, "m": 0}

        def next_id(key: str) -> int:
            ids[key] += 1
            return ids[key]

        kind_of = {row[0]: row[2] for row in plan_client}
        for cid, therapist, _kind, start, n, weekday, hour in plan_client:
            if n == 0:
                continue
            baseline = rng.uniform(0.8, 2.0)
            gain = rng.gauss(1.0, 0.8)  # some clients decline
            offsets = [rng.gauss(0, 0.3) for _ in indicators]
            # Where the client's PHQ-9 and GAD-7 start; they fall as the course goes well
            # (gain > 0) and rise for the clients who decline.
            starts = {PHQ9: rng.uniform(8, 22), GAD7: rng.uniform(6, 17)}
            # Weekly, with one week in ten skipped (holidays, illness). Active clients are
            # laid out backwards from their next booked session, so the practice's weekly
            # volume stays steady up to today; others run forwards from their intake.
            days: list = []
            if kind_of[cid] == "ACTIVE":
                day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
                while len(days) < n:
                    if rng.random() >= 0.1:
                        days.append(day)
                    day -= timedelta(weeks=1)
                days.reverse()
            else:
                day = start - timedelta(days=start.weekday()) + timedelta(days=weekday)
                while len(days) < n:
                    if rng.random() >= 0.1:
                        days.append(day)
                    day += timedelta(weeks=1)
            # Pending repairs: rupture id -> attended sessions left to repair it in.
            pending: list[list] = []
            # The rows of this client's ruptures not repaired in their own session, written
            # when a later session repairs them or, still open, after the client's last one.
            held: dict[int, tuple] = {}
            attended_seq = 0
            for day in days:
                local = datetime(
                    day.year, day.month, day.day, hour, 0, tzinfo=tz
                ).astimezone(UTC)
                sid = next_id("s")
                future = local > now
                if future:
                    status = "SCHEDULED"
                else:
                    status = rng.choices(
                        ["ATTENDED", "CANCELLED", "LATE_CANCELLED", "NO_SHOW"],
                        [0.88, 0.05, 0.03, 0.04],
                    )[0]
                sessions.row(
                    sid,
                    uuid.uuid4(),
                    cid,
                    therapist,
                    local,
                    50,
                    "INDIVIDUAL",
                    "IN_PERSON" if rng.random() < 0.7 else "TELEHEALTH",
                    status,
                    "90837",
                    local,
                    local,
                    status == "ATTENDED",
                )
                if status != "ATTENDED":
                    continue
                attended_seq += 1
                progress = attended_seq / max(n, 1)
                end = local + timedelta(minutes=50)
                # The progress note and its signatures.
                nid = next_id("n")
                lag = timedelta(hours=rng.lognormvariate(math.log(18), 1.0))
                signed_at = end + lag
                note_status, cosigned_at, cosigner = "SIGNED", None, None
                if signed_at > now or (
                    now - end < timedelta(days=5) and rng.random() < 0.3
                ):
                    note_status, signed_at = "DRAFT", None
                elif therapist in cosigned_by:
                    cosigned_at = signed_at + timedelta(hours=rng.uniform(4, 96))
                    if cosigned_at > now:
                        note_status, cosigned_at = "AWAITING_COSIGNATURE", None
                    else:
                        cosigner = cosigned_by[therapist]
                note_code = uuid.uuid4()
                notes.row(
                    nid,
                    note_code,
                    sid,
                    cid,
                    therapist,
                    "SOAP",
                    seal(ProgressNote, "sections", note_code, sections),
                    ["CO_REGULATION"],
                    "NONE",
                    "NONE",
                    "NONE",
                    "",
                    seal(ProgressNote, "plan", note_code, "Continue weekly."),
                    note_status,
                    1,
                    end,
                    signed_at or end,
                    signed_at,
                    therapist if signed_at else None,
                    cosigned_at,
                    cosigner,
                )
                if signed_at:
                    signatures.row(
                        next_id("sig"),
                        nid,
                        "AUTHOR",
                        therapist,
                        "Clinician, LMFT",
                        "I attest.",
                        digest,
                        signed_at,
                    )
                if cosigned_at:
                    signatures.row(
                        next_id("sig"),
                        nid,
                        "COSIGN",
                        cosigner,
                        "Supervisor, LMFT",
                        "I attest.",
                        digest,
                        cosigned_at,
                    )
                # Attunement moments.
                for _ in range(poisson(rng, 5.6)):
                    attune.row(
                        next_id("ev"),
                        uuid.uuid4(),
                        sid,
                        rng.randint(1, 50),
                        "",
                        therapist,
                        rng.choices(processes, process_w)[0],
                        ["PROSODY", "GAZE"] if rng.random() < 0.5 else ["PRESENCE"],
                        "MUTUAL",
                        rng.randint(1, 5),
                        local,
                    )
                # Arousal: more time within the window as therapy progresses (or less).
                within_p = min(0.9, max(0.2, 0.5 + 0.3 * progress * gain))
                for _ in range(poisson(rng, 4.0)):
                    r = rng.random()
                    zone = (
                        "WITHIN"
                        if r < within_p
                        else (
                            "HYPER" if r < within_p + (1 - within_p) * 0.6 else "HYPO"
                        )
                    )
                    arousal.row(
                        next_id("ev"),
                        uuid.uuid4(),
                        sid,
                        rng.randint(1, 50),
                        "",
                        therapist,
                        zone,
                        rng.random() < 0.15,
                        rng.randint(1, 5),
                        local,
                    )
                for _ in range(poisson(rng, 1.5)):
                    kind_, value = rng.choice(tag_values)
                    tags.row(
                        next_id("ev"),
                        uuid.uuid4(),
                        sid,
                        rng.randint(1, 50),
                        "",
                        therapist,
                        kind_,
                        value,
                        local,
                    )
                # Repairs of earlier ruptures, in this session.
                still = []
                for rupture_id, left in pending:
                    if (rng.random() < 0.6 or left <= 1) and (
                        rng.random() < 0.9 or (now - local).days > 60
                    ):
                        repairs.row(
                            next_id("ev"),
                            uuid.uuid4(),
                            sid,
                            rng.randint(1, 30),
                            "",
                            therapist,
                            rupture_id,
                            [rng.choice(strategies)],
                            rng.randint(2, 5),
                            ["TALKED_ABOUT_IT"],
                            local,
                        )
                        ruptures.row(*held.pop(rupture_id), True)
                        continue
                    if left > 1:
                        still.append([rupture_id, left - 1])
                pending = still
                # Ruptures, most repaired in the same session.
                for _ in range(poisson(rng, 0.55)):
                    rupture_id = next_id("ru")
                    minute = rng.randint(5, 45)
                    withdrawal_type = rng.random() < 0.65
                    row = (
                        rupture_id,
                        uuid.uuid4(),
                        sid,
                        minute,
                        "",
                        therapist,
                        cid,
                        "WITHDRAWAL" if withdrawal_type else "CONFRONTATION",
                        [rng.choice(withdrawal if withdrawal_type else confrontation)],
                        "CLIENT",
                        rng.randint(1, 5),
                        "UNSPECIFIED",
                        local,
                    )
                    if rng.random() < 0.72:
                        ruptures.row(*row, True)
                        repairs.row(
                            next_id("ev"),
                            uuid.uuid4(),
                            sid,
                            min(50, minute + rng.randint(1, 5)),
                            "",
                            therapist,
                            rupture_id,
                            [rng.choice(strategies)],
                            rng.randint(2, 5),
                            ["FELT_HEARD"],
                            local,
                        )
                    else:
                        pending.append([rupture_id, rng.randint(1, 4)])
                        held[rupture_id] = row
                # PHQ-9 and GAD-7 at the first session and every MEASURE_EVERY-th after it.
                if (attended_seq - 1) % MEASURE_EVERY == 0:
                    for spec, start_total in starts.items():
                        mean = start_total * (1 - 0.6 * gain * progress)
                        total = round(rng.gauss(mean, 1.5))
                        answers = measure_answers(rng, spec, total)
                        total = sum(answers)
                        admin_code = uuid.uuid4()
                        administrations.row(
                            next_id("m"),
                            admin_code,
                            cid,
                            sid,
                            spec.code,
                            "CLINICIAN",
                            seal(
                                Administration,
                                "responses",
                                admin_code,
                                json.dumps({"answers": answers}, sort_keys=True),
                            ),
                            total,
                            spec.band_for(total).code,
                            0,
                            False,
                            end,
                            therapist,
                        )
                # Integration ratings in a little over half of the sessions.
                if rng.random() < 0.56:
                    for (ind_id, in_composite, lo, hi), offset in zip(
                        indicators, offsets, strict=True
                    ):
                        if in_composite:
                            mean = baseline + gain * progress + offset
                        else:  # the river: from the banks towards the flow
                            mean = (1 - progress) * 1.5 * (1 if offset > 0 else -1)
                        value = round(mean + rng.gauss(0, 0.5))
                        ratings.row(
                            next_id("r"),
                            sid,
                            ind_id,
                            max(lo, min(hi, value)),
                            therapist,
                            local,
                        )
            # The client's ruptures no later session repaired stay open.
            for row in held.values():
                ruptures.row(*row, False)
        # Rupture ids must exist before repairs reference them (FKs are checked per row).
        counts["sessions"] = sessions.close()
        log(f"sessions: {counts['sessions']}", started)
        counts["notes"] = notes.close()
        counts["signatures"] = signatures.close()
        log("notes and signatures", started)
        counts["attunement"] = attune.close()
        counts["arousal"] = arousal.close()
        counts["tags"] = tags.close()
        counts["ruptures"] = ruptures.close()
        counts["repairs"] = repairs.close()
        log("events", started)
        counts["ratings"] = ratings.close()
        log("ratings", started)
        counts["administrations"] = administrations.close()
        log("PHQ-9 and GAD-7 administrations", started)
        # Ids of all event tables came from one counter; each table's sequence is set above.
    # On again once committed (the COPY's deferred foreign-key checks, pending until the
    # commit, forbid an ALTER TABLE of the notes inside the transaction).
    with connection.cursor() as cur:
        for table, trigger in flag_triggers:
            cur.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
    for table in (
        "therapy_sessions_therapysession",
        "therapy_sessions_progressnote",
        "therapy_sessions_attunementmoment",
        "therapy_sessions_arousalobservation",
        "therapy_sessions_sessiontag",
        "therapy_sessions_ruptureevent",
        "therapy_sessions_repairevent",
        "therapy_sessions_integrationrating",
        "measures_administration",
    ):
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {table}")
    counts["events"] = sum(
        counts[k] for k in ("attunement", "arousal", "tags", "ruptures", "repairs")
    )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reset", action="store_true", help="drop and recreate the DB")
    parser.add_argument(
        "--small",
        action="store_true",
        help="a practice 100 times smaller (6 clinicians, 20 clients, 1,000 sessions)",
    )
    args = parser.parse_args()
    if args.small:
        global CLINICIANS, SUPERVISORS, CLIENTS, SESSIONS
        CLINICIANS, SUPERVISORS, CLIENTS, SESSIONS = 6, 2, 20, 1_000
    started = time.perf_counter()
    name = os.environ.get("DB_NAME", "")
    if os.environ.get("DATABASE_URL"):
        from urllib.parse import urlsplit

        name = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    if "bench" not in name:
        sys.exit("Refusing: set DB_NAME (or DATABASE_URL) to a database named *bench*")
    import django

    django.setup()
    if args.reset:
        reset_database(name)
        log(f"database {name} recreated", started)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    log("migrated", started)
    from clients.models import Client

    if Client.objects.exists():
        sys.exit("The database already has clients: run with --reset")
    counts = generate(started)
    log(f"generated: {json.dumps(counts)}", started)
    from dashboards.services import rollup_refresh_all

    timings = rollup_refresh_all()
    log(
        "rollups refreshed: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
        started,
    )
    # A practice's database has autovacuum on; the machine the benchmark runs on may not.
    # Every table is vacuumed (visibility map: index-only scans skip the heap) and analysed
    # (the planner's statistics) as autovacuum would have done after the load.
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
    log("vacuumed and analysed", started)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    # A small run never replaces the benchmark's own record.
    (out / ("generate-small.json" if args.small else "generate.json")).write_text(
        json.dumps(
            {
                "counts": counts,
                "rollup_seconds": timings,
                "total_seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )
    log("done", started)


if __name__ == "__main__":
    main()
