"""Load benchmark: gunicorn on 127.0.0.1 against the generated practice (bench/generate.py).

Starts gunicorn with production settings (dummy secrets, no TLS redirect), signs in a
therapist, a supervisor and a practice admin by creating their sessions through Django's
session engine (the second factor is marked as passed, as the login form would after TOTP),
then drives every dashboard and the main clinical pages with 1 and then 16 concurrent users.
Reports p50 / p95 / requests per second per page next to the minimal authenticated page
(dashboards:ping) served by the same server in the same run, and counts SQL queries per page
on the same data with Django's test client.

    DB_NAME=ipnb_bench .venv/bin/python bench/load.py [--workers 3] [--requests 60]

Loopback only; bounded request counts. Results: bench/out/load.json and bench/out/load.md.
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

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST, PORT = "127.0.0.1", 8765
ENV = {
    "IPNB_ENV": "production",
    "SECRET_KEY": "bench-secret-key-not-for-real-use-0123456789abcdefghijklmnop",
    # The generator encrypted with the development key; the server must read the same ring.
    "FIELD_ENCRYPTION_KEYS": "dev1:ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcmVhbC11c2U=",
    "AUDIT_HMAC_KEY": "bench-audit-key-not-for-real-use",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    "LOG_LEVEL": "WARNING",
    "AXES_ENABLED": "false",
}


def setup_django() -> None:
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


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
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": HOST})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000, len(body)


def run_page(path: str, cookie: str, users: int, per_user: int) -> dict:
    timings: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker():
        local = []
        for _ in range(per_user):
            status, ms, _size = fetch(path, cookie)
            local.append(ms)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        with lock:
            timings.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    timings.sort()
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "rps": round(len(timings) / wall, 1),
        "statuses": statuses,
    }


def count_queries(paths: dict[str, str], who: dict[str, str], users: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, path in paths.items():
        client = Client(HTTP_HOST=HOST)
        client.cookies["sessionid"] = make_session(users[who[name]])
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        counts[name] = {
            "queries": len(ctx.captured_queries),
            "status": response.status_code,
        }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--requests", type=int, default=60, help="per page, single user"
    )
    parser.add_argument("--concurrent", type=int, default=16)
    parser.add_argument(
        "--per-user", type=int, default=12, help="per user when concurrent"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating ping/page rounds per page"
    )
    parser.add_argument(
        "--only", default="", help="run only pages whose name contains this (and ping)"
    )
    args = parser.parse_args()
    if "bench" not in os.environ.get("DB_NAME", "") + os.environ.get(
        "DATABASE_URL", ""
    ):
        sys.exit("Refusing: set DB_NAME (or DATABASE_URL) to the bench database")
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    who, paths, users = pages()
    if args.only:
        paths = {
            k: v for k, v in paths.items() if args.only in k or k == "ping (minimal)"
        }
    cookies = {persona: make_session(user) for persona, user in users.items()}
    env = {**os.environ, **ENV}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "ipnb_notes.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"{HOST}:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
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
                        run_page(
                            ping_path,
                            cookies["therapist"],
                            args.concurrent,
                            args.per_user,
                        )
                    )
                runs.append(
                    run_page(path, cookies[who[name]], args.concurrent, args.per_user)
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
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["queries"] = count_queries(paths, who, users)
    results["settings"] = {
        "workers": args.workers,
        "single_requests": args.requests,
        "concurrent_users": args.concurrent,
        "per_user": args.per_user,
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
                "ping_rps": results["ping_adjacent"].get(name, c)["rps"],
                "ratio": round(ratios[len(ratios) // 2], 3),
                "round_trips": results["queries"][name]["queries"],
                "statuses": c["statuses"],
            }
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(results, indent=2, default=str))
    lines = [
        "| Page | 1 user p50 ms | 1 user p95 ms | 1 user req/s | "
        f"{args.concurrent} users p50 ms | {args.concurrent} users p95 ms | "
        f"{args.concurrent} users req/s | ping req/s (run just before) | median ratio | "
        "SQL queries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in paths:
        s, c = results["single"][name], results["concurrent"][name]
        neighbour = results["ping_adjacent"].get(name, results["concurrent"][ping])
        ratios = results["ratios"].get(name, [1.0])
        ratio = ratios[len(ratios) // 2]
        lines.append(
            f"| {name} | {s['p50_ms']} | {s['p95_ms']} | {s['rps']} | {c['p50_ms']} | "
            f"{c['p95_ms']} | {c['rps']} | {neighbour['rps']} | {ratio:.2f} | "
            f"{results['queries'][name]['queries']} |"
        )
    (OUT / "load.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
