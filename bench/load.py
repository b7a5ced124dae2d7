"""Load benchmark: gunicorn on 127.0.0.1 against the generated practice (bench/generate.py),
in the shape docker-compose.yml deploys.

As the tables' owner (DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/ipnb_bench) it
runs `manage.py migrate`, creates the LOGIN runtime role (--app-role, default ipnb_bench_app;
no password: trust authentication on 127.0.0.1) and grants it with `manage.py
grant_runtime_role` (what compose's migrate service runs), then `collectstatic`. Everything
after that connects as the runtime role, under production settings: gunicorn with
ops/gunicorn.conf.py (its access log goes to bench/out/gunicorn-access.log), Redis as broker
(redis://127.0.0.1:6379/13) and cache (/14), an AUDIT_ANCHOR_FILE in bench/out/, requests sent
as the TLS proxy forwards them (X-Forwarded-Proto: https, X-Forwarded-For), and the audit
sealer as compose runs it: `celery beat` (audit-seal every second) and a worker of its own on
the "audit" queue, both started here and stopped at the end. Only the secrets are dummies.

It signs in a therapist, a supervisor and a practice admin by creating their sessions through
Django's session engine (the second factor is marked as passed, as the login form would after
TOTP), then drives every dashboard and the main clinical pages with 1 and then 16 concurrent
users. Reports p50 / p95 / requests per second per page next to the minimal authenticated page
(dashboards:ping) served by the same server in the same run, counts SQL round trips per page
on the same data with Django's test client, and samples the sealer's backlog (events not
chained yet, the oldest one's age) twice a second from start to end.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ipnb_bench \
        .venv/bin/python bench/load.py --workers 3 --requests 60 --seconds 2 --rounds 3

Loopback only; bounded runs (a count of requests for one user, a window of seconds for 16). Results: bench/out/load.json and bench/out/load.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST, PORT = "127.0.0.1", 8765
BROKER_URL = "redis://127.0.0.1:6379/13"
CACHE_URL = "redis://127.0.0.1:6379/14"
ANCHOR_FILE = OUT / "audit-anchors.jsonl"
# Production settings as .env.example sets them behind the TLS proxy; only the secrets are
# dummies (none carries a .env.example placeholder, which production refuses).
ENV = {
    "IPNB_ENV": "production",
    "DJANGO_SETTINGS_MODULE": "ipnb_notes.settings",
    "SECRET_KEY": "bench-secret-key-not-for-real-use-0123456789abcdefghijklmnop",
    # The generator encrypted with the development key; the server must read the same ring.
    "FIELD_ENCRYPTION_KEYS": "dev1:ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcmVhbC11c2U=",
    "AUDIT_HMAC_KEY": "bench-audit-key-not-for-real-use",
    "ALLOWED_HOSTS": "127.0.0.1",
    "TRUST_X_FORWARDED_PROTO": "true",
    "TRUSTED_PROXY_COUNT": "1",
    "CELERY_BROKER_URL": BROKER_URL,
    "CACHE_URL": CACHE_URL,
    "AUDIT_ANCHOR_FILE": str(ANCHOR_FILE),
    "LOG_LEVEL": "WARNING",
}
# What the TLS proxy adds to every request it forwards.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
COOKIE = "sessionid"  # settings.SESSION_COOKIE_NAME once Django is set up


def as_role(url: str, role: str) -> str:
    """`url` with `role` as its user and no password (trust authentication on loopback)."""
    parts = urlsplit(url)
    netloc = f"{role}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def prepare_database(owner_url: str, role: str) -> None:
    """As the owner, what compose's migrate service does: migrate, then grant the runtime
    role (created here if missing: LOGIN, no superuser, owning nothing)."""
    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", [role]
        ).fetchone():
            conn.execute(f'CREATE ROLE "{role}" LOGIN')
    env = {**os.environ, **ENV, "DATABASE_URL": owner_url}
    manage = [str(ROOT / ".venv" / "bin" / "python"), "manage.py"]
    for command in (
        ["migrate", "--noinput", "-v", "0"],
        ["grant_runtime_role", role],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True)


def setup_django(app_url: str) -> None:
    """This process (sessions, query counts, backlog samples) connects as the runtime role."""
    global COOKIE
    os.environ.update({**ENV, "DATABASE_URL": app_url})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    COOKIE = settings.SESSION_COOKIE_NAME


def start_sealer() -> list[subprocess.Popen]:
    """Beat (audit-seal every second) and the sealer's own worker on the "audit" queue, as
    docker-compose.yml's beat and sealer services run them. Their logs: bench/out/."""
    import redis

    for url in (BROKER_URL, CACHE_URL):
        redis.Redis.from_url(url).flushdb()  # this run's own Redis databases
    celery = str(ROOT / ".venv" / "bin" / "celery")
    procs = []
    for name, command in (
        (
            "sealer",
            ["worker", "--loglevel=INFO", "--concurrency=1", "--queues=audit"]
            + ["--hostname=bench-sealer@%h"],
        ),
        (
            "beat",
            ["beat", "--loglevel=INFO", f"--schedule={OUT / 'celerybeat-schedule'}"],
        ),
    ):
        log = open(OUT / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        procs.append(
            subprocess.Popen(
                [celery, "-A", "ipnb_notes", *command],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


BACKLOG_SQL = """
    SELECT count(*), extract(epoch FROM clock_timestamp() - min(e.at))
    FROM audit_auditevent e
    WHERE e.xid >= COALESCE((SELECT horizon FROM audit_auditseal
                             ORDER BY position DESC LIMIT 1), 0)
      AND NOT EXISTS (SELECT 1 FROM audit_auditseal s WHERE s.event_id = e.id)
"""


def backlog(conn) -> tuple[int, float]:
    """(committed events not sealed yet, the oldest one's age in seconds), as /healthz's
    probe looks: above the sealer's last horizon."""
    count, age = conn.execute(BACKLOG_SQL).fetchone()
    return count, float(age or 0.0)


class BacklogSampler(threading.Thread):
    """Samples the sealer's backlog every `every` seconds on a connection of its own."""

    def __init__(self, url: str, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.samples: list[tuple[float, int, float]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        import psycopg

        started = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.halt.is_set():
                count, age = backlog(conn)
                self.samples.append((time.perf_counter() - started, count, age))
                self.halt.wait(self.every)


def make_session(user) -> str:
    """A signed-in session for `user`, as the login form and the TOTP step would leave it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["ipnb.mfa_enrolled"] = True
    store.create()
    return store.session_key


def pages() -> tuple[dict[str, str], dict[str, str], dict]:
    """(page name -> persona, page name -> path) for the run."""
    from django.db.models import Count
    from django.urls import NoReverseMatch, reverse

    from accounts.models import Supervision, User
    from clients.models import CaseAssignment
    from sessions.models import TherapySession

    therapist = User.objects.get(email="therapist01@bench.example")
    supervisor = (
        Supervision.objects.current().filter(supervisee=therapist).first().supervisor
    )
    admin = User.objects.get(email="admin1@bench.example")
    own = (
        CaseAssignment.objects.current().filter(therapist=therapist).values("client_id")
    )
    client_id = (
        TherapySession.objects.filter(client_id__in=own, status="ATTENDED")
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["client_id"]
    )
    from clients.models import Client

    client = Client.objects.get(pk=client_id)
    sess = (
        TherapySession.objects.filter(client=client, status="ATTENDED")
        .order_by("-starts_at")
        .first()
    )
    from sessions.models import ProgressNote

    # The supervisor's co-signature queue is his home page; the note he opens from it.
    awaiting = (
        ProgressNote.objects.filter(
            author__supervisions_received__supervisor=supervisor,
            status=ProgressNote.Status.AWAITING_COSIGNATURE,
        )
        .order_by("signed_at")
        .first()
    )
    draft = (
        ProgressNote.objects.filter(author=therapist, status=ProgressNote.Status.DRAFT)
        .select_related("session")
        .first()
    )
    wanted = {
        "ping (minimal)": ("therapist", "dashboards:ping", []),
        "dashboard: caseload": ("therapist", "dashboards:caseload", []),
        "dashboard: trajectory": ("therapist", "dashboards:trajectory", [client.code]),
        "dashboard: supervision": ("supervisor", "dashboards:supervision", []),
        "dashboard: supervisee caseload": (
            "supervisor",
            "dashboards:supervisee_caseload",
            [therapist.code],
        ),
        "dashboard: trajectory (supervisor)": (
            "supervisor",
            "dashboards:trajectory",
            [client.code],
        ),
        "dashboard: practice": ("admin", "dashboards:practice", []),
        "home": ("therapist", "home", []),
        "caseload list": ("therapist", "clients:client_list", []),
        "client page": ("therapist", "clients:client_detail", [client.code]),
        "session page": ("therapist", "sessions:session_detail", [sess.code]),
        "note editor": (
            "therapist",
            "sessions:note_edit",
            [(draft.session if draft else sess).code],
        ),
        "capture panel": ("therapist", "sessions:capture", [sess.code]),
        "co-signature queue (supervisor home)": ("supervisor", "home", []),
        "user list (admin)": ("admin", "accounts:user_list", []),
        "calendar (week)": ("therapist", "sessions:calendar", []),
        "calendar feed settings": ("therapist", "sessions:feed_settings", []),
        "reminders (account)": ("therapist", "account_reminders", []),
        "measures schedule": ("therapist", "measures:schedule", [client.code]),
        "practice week (admin)": ("admin", "sessions:calendar", []),
        "unrepaired ruptures (supervisor)": (
            "supervisor",
            "dashboards:supervisee_ruptures",
            [therapist.code],
        ),
    }
    if awaiting is not None:
        wanted["note to co-sign"] = (
            "supervisor",
            "sessions:note_detail",
            [awaiting.code],
        )
    who, paths = {}, {}
    for name, (persona, url_name, args) in wanted.items():
        try:
            paths[name] = reverse(url_name, args=args)
        except NoReverseMatch:
            print(f"skipping {name}: {url_name} does not exist yet")
            continue
        who[name] = persona
    users = {"therapist": therapist, "supervisor": supervisor, "admin": admin}
    return who, paths, users


def fetch(path: str, cookie: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    conn.request(
        "GET",
        path,
        headers={"Cookie": f"{COOKIE}={cookie}", "Host": HOST, **PROXY_HEADERS},
    )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000, len(body)


def cpu_times() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine so far (Linux /proc/stat): idle and
    I/O wait are not busy. Read around a run, it tells whether the cores were kept busy."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return sum(ticks) - idle, sum(ticks)


def run_page(path: str, cookie: str, users: int, requests: int) -> dict:
    """`users` threads sending `requests` requests each, one after the other: the
    single-user figures."""
    timings: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker():
        local = []
        for _ in range(requests):
            status, ms, _size = fetch(path, cookie)
            local.append(ms)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        with lock:
            timings.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(users)]
    busy_before, total_before = cpu_times()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    busy_after, total_after = cpu_times()
    return _figures(timings, len(timings) / wall, statuses, busy_before, total_before)


def run_window(path: str, cookie: str, users: int, seconds: float, warm: float) -> dict:
    """`users` threads sending requests back to back; counted are the requests that end
    within a window of `seconds` opened once every thread has been busy for `warm` seconds,
    so that starting the threads and the last requests' tail (when fewer users are left)
    weigh on no page: throughput with all the users at work, the same length of run for a
    page of 2 ms as for one of 20."""
    ended: list[tuple[float, float, int]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def worker():
        local = []
        while not stop.is_set():
            status, ms, _size = fetch(path, cookie)
            local.append((time.perf_counter(), ms, status))
        with lock:
            ended.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(users)]
    for t in threads:
        t.start()
    time.sleep(warm)
    busy_before, total_before = cpu_times()
    opened = time.perf_counter()
    time.sleep(seconds)
    closed = time.perf_counter()
    busy_after, total_after = cpu_times()
    stop.set()
    for t in threads:
        t.join()
    inside = [(ms, status) for at, ms, status in ended if opened <= at < closed]
    statuses: dict[int, int] = {}
    for _at, _ms, status in ended:
        statuses[status] = statuses.get(status, 0) + 1
    return _figures(
        [ms for ms, _ in inside],
        len(inside) / (closed - opened),
        statuses,
        busy_before,
        total_before,
        busy_after,
        total_after,
    )


def _figures(
    timings, rps, statuses, busy_before, total_before, busy_after=None, total_after=None
) -> dict:
    if busy_after is None:
        busy_after, total_after = cpu_times()
    timings = sorted(timings)
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "rps": round(rps, 1),
        # The machine's cores kept busy during the run (everything on it: server, database,
        # this client), 0-1; None where /proc/stat cannot be read.
        "cpu_busy": round((busy_after - busy_before) / (total_after - total_before), 2)
        if total_after > total_before
        else None,
        "statuses": statuses,
    }


def count_queries(paths: dict[str, str], who: dict[str, str], users: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, path in paths.items():
        client = Client(
            HTTP_HOST=HOST,
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_X_FORWARDED_FOR="127.0.0.1",
        )
        client.cookies[COOKIE] = make_session(users[who[name]])
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        counts[name] = {
            "queries": len(ctx.captured_queries),
            "status": response.status_code,
        }
    return counts


def sealer_report(samples, load_ended: float, drained) -> dict:
    """The sealer's backlog over the run: how old the oldest unchained event got, and how
    long after the last request every event was chained."""
    during = [x for x in samples if x[0] <= load_ended] or samples
    ages = sorted(age for _, _, age in during)
    return {
        "samples": len(samples),
        "sample_every_s": 0.5,
        "max_oldest_unsealed_age_s": round(ages[-1], 2) if ages else None,
        "p95_oldest_unsealed_age_s": round(ages[int(len(ages) * 0.95) - 1], 2)
        if len(ages) > 1
        else None,
        "median_oldest_unsealed_age_s": round(statistics.median(ages), 2)
        if ages
        else None,
        "max_unsealed_events": max((n for _, n, _ in during), default=0),
        "unsealed_after_load": drained[1],
        "drained_after_load_s": round(drained[0] - load_ended, 2),
        "final_unsealed": samples[-1][1] if samples else None,
        "final_oldest_unsealed_age_s": round(samples[-1][2], 2) if samples else None,
        "all_sealed_within_5_s": bool(ages) and ages[-1] <= 5.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads per worker"
    )
    parser.add_argument(
        "--requests", type=int, default=60, help="per page, single user"
    )
    parser.add_argument("--concurrent", type=int, default=16)
    parser.add_argument(
        "--seconds",
        type=float,
        default=2.0,
        help="length of each concurrent run's counted window",
    )
    parser.add_argument(
        "--warm",
        type=float,
        default=0.5,
        help="seconds every user is at work before the window opens",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating ping/page rounds per page"
    )
    parser.add_argument(
        "--only", default="", help="run only pages whose name contains this (and ping)"
    )
    parser.add_argument(
        "--app-role",
        default="ipnb_bench_app",
        help="the runtime database role gunicorn, beat and the sealer connect as",
    )
    args = parser.parse_args()
    owner_url = os.environ.get("DATABASE_URL", "")
    if "bench" not in urlsplit(owner_url).path:
        sys.exit(
            "Refusing: set DATABASE_URL to the bench database as its owner, e.g."
            " postgresql://postgres@127.0.0.1:5432/ipnb_bench"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    prepare_database(owner_url, args.app_role)
    app_url = as_role(owner_url, args.app_role)
    setup_django(app_url)
    who, paths, users = pages()
    if args.only:
        paths = {
            k: v for k, v in paths.items() if args.only in k or k == "ping (minimal)"
        }
    cookies = {persona: make_session(user) for persona, user in users.items()}
    from django.utils import timezone

    run_started = timezone.now()
    sampler = BacklogSampler(app_url)
    sealer = start_sealer()
    sampler.start()
    access_log = OUT / "gunicorn-access.log"
    server_log = open(OUT / "gunicorn.log", "w")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "ops/gunicorn.conf.py",
            "ipnb_notes.wsgi",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"{HOST}:{PORT}",
            "--access-logfile",
            str(access_log),
            "--error-logfile",
            str(OUT / "gunicorn-error.log"),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        # Its console log (audit events as JSON lines, as in production) goes to a file.
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    results: dict = {"single": {}, "concurrent": {}}
    try:
        for _ in range(100):
            try:
                fetch(paths["ping (minimal)"], cookies["therapist"])
                break
            except OSError:
                time.sleep(0.2)
        for name, path in paths.items():
            status, _ms, _ = fetch(path, cookies[who[name]])
            print(f"warm-up {name}: {status}", flush=True)
            for _ in range(4):
                fetch(path, cookies[who[name]])
        for name, path in paths.items():
            results["single"][name] = run_page(
                path, cookies[who[name]], 1, args.requests
            )
            print(f"1 user   {name}: {results['single'][name]}", flush=True)
        # Background load on a shared machine drifts: each page's concurrent run comes right
        # after a run of the minimal page, and its ratio uses that neighbouring run.
        results["ping_adjacent"] = {}
        results["ratios"] = {}
        ping_path = paths["ping (minimal)"]
        for name, path in paths.items():
            pings, runs = [], []
            for _ in range(args.rounds):
                if name != "ping (minimal)":
                    pings.append(
                        run_window(
                            ping_path,
                            cookies["therapist"],
                            args.concurrent,
                            args.seconds,
                            args.warm,
                        )
                    )
                runs.append(
                    run_window(
                        path,
                        cookies[who[name]],
                        args.concurrent,
                        args.seconds,
                        args.warm,
                    )
                )
            # The round with the median page throughput stands for the page.
            order = sorted(range(len(runs)), key=lambda i: runs[i]["rps"])
            mid = order[len(order) // 2]
            results["concurrent"][name] = runs[mid]
            if pings:
                results["ping_adjacent"][name] = pings[mid]
                results["ratios"][name] = sorted(
                    r["rps"] / p["rps"] for r, p in zip(runs, pings, strict=True)
                )
            print(
                f"{args.concurrent} users {name}: {results['concurrent'][name]} "
                f"ratios {results['ratios'].get(name)}",
                flush=True,
            )
        if server.poll() is not None:
            sys.exit("gunicorn stopped: see bench/out/gunicorn-error.log")
    finally:
        stop([server])
        # The sealer keeps running until the last event of the run is chained.
        load_ended = sampler.samples[-1][0] if sampler.samples else 0.0
        for _ in range(120):
            if sampler.samples and sampler.samples[-1][1] == 0:
                break
            time.sleep(0.5)
        drained = sampler.samples[-1] if sampler.samples else (0.0, -1, 0.0)
    import logging

    # This process's own audit lines (the query count's requests) stay off the terminal.
    logging.getLogger("ipnb_notes.audit").setLevel(logging.WARNING)
    results["queries"] = count_queries(paths, who, users)
    time.sleep(3)
    sampler.halt.set()
    sampler.join()
    stop(sealer)
    results["sealer"] = sealer_report(sampler.samples, load_ended, drained)
    # Exact, from the seals themselves: how long each event of this run waited for its seal
    # (events left unsealed before the run, e.g. by an in-process profile, are not counted).
    import psycopg

    with psycopg.connect(app_url, autocommit=True) as conn:
        n, worst, p95 = conn.execute(
            "SELECT count(*), max(extract(epoch FROM s.sealed_at - e.at)),"
            " percentile_cont(0.95) WITHIN GROUP"
            " (ORDER BY extract(epoch FROM s.sealed_at - e.at))"
            " FROM audit_auditevent e JOIN audit_auditseal s ON s.event_id = e.id"
            " WHERE e.at >= %s",
            [run_started],
        ).fetchone()
    results["sealer"]["events_of_the_run"] = {
        "sealed": n,
        "max_wait_s": round(float(worst or 0), 2),
        "p95_wait_s": round(float(p95 or 0), 2),
        "all_within_5_s": worst is not None and float(worst) <= 5.0,
    }
    print(f"sealer: {results['sealer']}", flush=True)
    results["settings"] = {
        "workers": args.workers,
        "threads": args.threads,
        "single_requests": args.requests,
        "concurrent_users": args.concurrent,
        "window_seconds": args.seconds,
        "warm_seconds": args.warm,
        "rounds": args.rounds,
    }
    ping = "ping (minimal)"
    # One row per page, every figure a script checks against the budget.
    results["pages"] = []
    for name in paths:
        s, c = results["single"][name], results["concurrent"][name]
        ratios = results["ratios"].get(name, [1.0])
        results["pages"].append(
            {
                "page": name,
                "single_p50_ms": s["p50_ms"],
                "single_p95_ms": s["p95_ms"],
                "single_rps": s["rps"],
                "p50_ms": c["p50_ms"],
                "p95_ms": c["p95_ms"],
                "rps": c["rps"],
                "cpu_busy": c["cpu_busy"],
                "ping_rps": results["ping_adjacent"].get(name, c)["rps"],
                "ratio": round(ratios[len(ratios) // 2], 3),
                "round_trips": results["queries"][name]["queries"],
                "statuses": c["statuses"],
            }
        )
    (OUT / "load.json").write_text(json.dumps(results, indent=2, default=str))
    lines = [
        "| Page | 1 user p50 ms | 1 user p95 ms | 1 user req/s | "
        f"{args.concurrent} users p50 ms | {args.concurrent} users p95 ms | "
        f"{args.concurrent} users req/s | ping req/s (run just before) | median ratio | "
        "SQL queries | CPU busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in paths:
        s, c = results["single"][name], results["concurrent"][name]
        neighbour = results["ping_adjacent"].get(name, results["concurrent"][ping])
        ratios = results["ratios"].get(name, [1.0])
        ratio = ratios[len(ratios) // 2]
        busy = "" if c["cpu_busy"] is None else f"{c['cpu_busy']:.0%}"
        lines.append(
            f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {s['rps']} | {c['p50_ms']} | "
            f"{c['p95_ms']} | {c['rps']} | {neighbour['rps']} | {ratio:.2f} | "
            f"{results['queries'][name]['queries']} | {busy} |"
        )
    (OUT / "load.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
