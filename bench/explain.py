"""EXPLAIN (ANALYZE, BUFFERS) of each dashboard's main query on the bench database.

    DB_NAME=ipnb_bench .venv/bin/python bench/explain.py > bench/out/explain.md

Runs each page once through Django's test client, picks the page's own aggregate statement
from the captured queries and explains it with the same parameters.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The statement of each page to explain, found by a fragment of its SQL.
MARKS = {
    "dashboard: trajectory": "therapy_sessions_ruptureevent ru",
    "dashboard: caseload": "FROM clients_caseassignment a",
    "dashboard: supervision": "SELECT u.id, u.code",
    "dashboard: practice": "FROM dashboards_therapistweek WHERE week",
}


def main() -> None:
    import load

    load.setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    who, paths, users = load.pages()
    for name, mark in MARKS.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = load.make_session(users[who[name]])
        with CaptureQueriesContext(connection) as ctx:
            client.get(paths[name])
        query = next(q for q in ctx.captured_queries if mark in q["sql"])
        # A page may send several statements in one round trip: explain each of its own.
        for sql in query["sql"].split(";\n"):
            if mark not in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, SUMMARY) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"### {name}\n\n```sql\n{sql.strip()}\n```\n\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()
