"""Python CPU time per request of every page of bench/load.py, in process.

Same settings, database role and users as bench/load.py and bench/profile_page.py (run
bench/load.py once first: it migrates and grants the runtime role), no HTTP. CPU time
(`time.process_time`) moves less than wall time when the machine is busy; PostgreSQL's own
time is not in it.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ipnb_bench \\
        .venv/bin/python bench/cpu.py [page name fragment ...] [--requests 25]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", help="only pages whose name contains one")
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--app-role", default="ipnb_bench_app")
    args = parser.parse_args()
    owner_url = os.environ.get("DATABASE_URL", "")
    if "bench" not in urlsplit(owner_url).path:
        sys.exit("Refusing: set DATABASE_URL to the bench database (as for load.py)")
    load.setup_django(load.as_role(owner_url, args.app_role))
    logging.getLogger("ipnb_notes.audit").setLevel(logging.WARNING)
    from django.test import Client

    who, paths, users = load.pages()
    for name, path in paths.items():
        if args.pages and not any(p in name for p in args.pages):
            continue
        client = Client(
            HTTP_HOST=load.HOST,
            HTTP_X_FORWARDED_PROTO="https",
            HTTP_X_FORWARDED_FOR="127.0.0.1",
        )
        client.cookies[load.COOKIE] = load.make_session(users[who[name]])
        for _ in range(5):
            assert client.get(path).status_code == 200
        cpu = []
        for _ in range(args.requests):
            started = time.process_time()
            client.get(path)
            cpu.append((time.process_time() - started) * 1000)
        print(
            f"{name:40s} Python CPU per request: min {min(cpu):5.1f} ms,"
            f" median {statistics.median(cpu):5.1f} ms"
        )


if __name__ == "__main__":
    main()
