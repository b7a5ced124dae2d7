"""The production runtime role (audit/sql/runtime_role.sql) cannot change or remove a
disclosure or remove an authorization by privilege, independently of the triggers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db
SQL = Path(settings.BASE_DIR, "audit", "sql", "runtime_role.sql").read_text()
ROLE = "ipnb_app_disclosure_role"


def test_the_runtime_role_may_append_disclosures_but_not_change_them():
    statements = [
        line.replace("ipnb_app", ROLE)
        for line in SQL.splitlines()
        if line.strip() and not line.startswith("--")
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")
        for statement in statements:
            cursor.execute(statement)
        privileges = {}
        for table in ("disclosures_disclosure", "disclosures_authorization"):
            for privilege in ("INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", [ROLE, table, privilege]
                )
                privileges[table, privilege] = cursor.fetchone()[0]
    assert privileges == {
        ("disclosures_disclosure", "INSERT"): True,
        ("disclosures_disclosure", "SELECT"): True,
        ("disclosures_disclosure", "UPDATE"): False,
        ("disclosures_disclosure", "DELETE"): False,
        ("disclosures_disclosure", "TRUNCATE"): False,
        # Revocation is the one update an authorization takes (its trigger allows no other).
        ("disclosures_authorization", "INSERT"): True,
        ("disclosures_authorization", "SELECT"): True,
        ("disclosures_authorization", "UPDATE"): True,
        ("disclosures_authorization", "DELETE"): False,
        ("disclosures_authorization", "TRUNCATE"): False,
    }
