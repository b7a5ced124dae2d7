"""`manage.py grant_runtime_role <role>`: give the runtime role what audit/sql/runtime_role.sql
says, and nothing more. Run as the owner of the tables after every `manage.py migrate`."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

SQL = Path(settings.BASE_DIR, "audit", "sql", "runtime_role.sql")
PLACEHOLDER = "ipnb_app"
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def statements(role: str) -> list[str]:
    """The grants of runtime_role.sql for `role`, one statement each."""
    if not ROLE_NAME.fullmatch(role):
        raise CommandError(
            f"{role!r} is not a plain role name (lower-case letters, digits, underscores)"
        )
    return [
        re.sub(rf"\b{PLACEHOLDER}\b", role, line.rstrip().removesuffix(";"))
        for line in SQL.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("--")
    ]


class Command(BaseCommand):
    help = (
        "Grant the runtime database role the privileges of audit/sql/runtime_role.sql "
        "(run as the tables' owner after every migrate)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("role", help="the runtime role, e.g. ipnb_app")

    def handle(self, *args, role: str, **options) -> None:
        grants = statements(role)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolname = current_user,"
                " EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid)"
                " FROM pg_roles r WHERE rolname = %s",
                [role],
            )
            row = cursor.fetchone()
            if row is None:
                raise CommandError(
                    f"role {role!r} does not exist (ops/postgres/initdb creates it)"
                )
            superuser, is_me, owns = row
            if superuser or is_me or owns:
                raise CommandError(
                    f"role {role!r} must be a plain runtime role: not a superuser, not the"
                    " role running migrations, owning no table"
                )
            for grant in grants:
                cursor.execute(grant)
        self.stdout.write(f"Granted the runtime privileges to {role}.")
