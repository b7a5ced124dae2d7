"""How many SQL statements the audit part of a request runs (docs/PERFORMANCE.md).

    DATABASE_URL=... IPNB_ENV=test .venv/bin/python bench/audit_statements.py

Records one event the way a view does (a request with a signed-in user, inside the request's
transaction), as in production with a broker (no sealing after commit), and prints every
statement it sent. Then runs one sealer pass and prints what it sent, off the request path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import audit  # noqa: E402
from accounts.models import User  # noqa: E402
from audit.sealer import seal  # noqa: E402

settings.AUDIT_SEAL_AFTER_COMMIT = False
user = User.objects.order_by("pk").first()
request = RequestFactory().get("/clients/")
request.user = user
with CaptureQueriesContext(connection) as request_part, transaction.atomic():
    audit.record("bench.audit_statements", request=request, target=user)
with CaptureQueriesContext(connection) as sealer_part:
    sealed = seal()
audit_statements = [
    q["sql"] for q in request_part.captured_queries if "audit" in q["sql"].lower()
]
print(f"audit statements in the request: {len(audit_statements)}")
for sql in audit_statements:
    print("  ", sql[:110])
print(
    f"sealer pass (off the request path): {len(sealer_part.captured_queries)}"
    f" statements, {sealed} event(s) sealed"
)
