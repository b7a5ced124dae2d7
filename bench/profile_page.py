"""Profile one page in process with cProfile (standard library), as load.py serves it.

Same settings and database role as bench/load.py (production settings, the runtime role, the
Redis cache), no HTTP: Django's test client sends the request as the TLS proxy would forward
it. Run bench/load.py first (it migrates and grants the runtime role).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ipnb_bench \\
        .venv/bin/python bench/profile_page.py "client page" [--requests 30] [--top 30]

Prints the page's min / median ms over the requests, then the functions with the most
cumulative and the most own time; the whole profile goes to bench/out/profile-<page>.prof.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page", help="a page name of bench/load.py")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--app-role", default="ipnb_bench_app")
    args = parser.parse_args()
    owner_url = os.environ.get("DATABASE_URL", "")
    if "bench" not in urlsplit(owner_url).path:
        sys.exit("Refusing: set DATABASE_URL to the bench database (as for load.py)")
    load.setup_django(load.as_role(owner_url, args.app_role))
    logging.getLogger("ipnb_notes.audit").setLevel(logging.WARNING)
    from django.test import Client

    who, paths, users = load.pages()
    if args.page not in paths:
        sys.exit(f"No page {args.page!r}; pages: {', '.join(paths)}")
    client = Client(
        HTTP_HOST=load.HOST,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR="127.0.0.1",
    )
    client.cookies[load.COOKIE] = load.make_session(users[who[args.page]])
    path = paths[args.page]
    for _ in range(5):
        assert client.get(path).status_code == 200
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        client.get(path)
    profile.disable()
    slug = re.sub(r"[^a-z0-9]+", "-", args.page.lower()).strip("-")
    profile.dump_stats(load.OUT / f"profile-{slug}.prof")
    print(
        f"{args.page}: min {min(timings):.1f} ms, median {statistics.median(timings):.1f} ms"
        f" over {args.requests} requests (without the profiler)"
    )
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
