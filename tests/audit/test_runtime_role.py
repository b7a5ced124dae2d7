"""The production runtime role from audit/sql/runtime_role.sql cannot change the audit trail
by privilege, independently of the trigger (AUD-03 (2)). Runs the documented SQL against a
throw-away role inside the test transaction."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

import audit
from audit.management.commands.grant_runtime_role import statements
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
ROLE = "ipnb_app_test_role"


@pytest.fixture
def as_runtime_role():
    # The grants the deployment's `manage.py grant_runtime_role` runs (one home: the SQL file).
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")
        for statement in statements(ROLE):
            cursor.execute(statement)
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def _refused(sql: str) -> None:
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def test_the_runtime_role_appends_but_cannot_alter_the_trail(as_runtime_role):
    event = audit.record("test.runtime_role")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'audit_auditevent', 'UPDATE'),"
            " has_table_privilege(%s, 'audit_auditevent', 'DELETE'),"
            " has_table_privilege(%s, 'audit_auditevent', 'TRUNCATE'),"
            " has_table_privilege(%s, 'audit_auditevent', 'INSERT')",
            [ROLE] * 4,
        )
        assert cursor.fetchone() == (False, False, False, True)
    _refused("UPDATE audit_auditevent SET action = 'x'")
    _refused("DELETE FROM audit_auditevent")
    _refused("TRUNCATE audit_auditevent")
    _refused("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    _refused("SET session_replication_role = replica")
    _refused("UPDATE audit_emergencyaccess SET reason = 'x'")


def test_the_runtime_role_seals_but_cannot_alter_a_seal(as_runtime_role):
    from audit.models import AuditSeal
    from audit.sealer import seal

    event = audit.record("test.runtime_role")
    assert seal() == 1  # the worker seals as the runtime role
    assert AuditSeal.objects.filter(event=event).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'audit_auditseal', 'UPDATE'),"
            " has_table_privilege(%s, 'audit_auditseal', 'DELETE'),"
            " has_table_privilege(%s, 'audit_auditseal', 'TRUNCATE'),"
            " has_table_privilege(%s, 'audit_auditseal', 'INSERT')",
            [ROLE] * 4,
        )
        assert cursor.fetchone() == (False, False, False, True)
    _refused("UPDATE audit_auditseal SET hash = repeat('0', 64)")
    _refused("DELETE FROM audit_auditseal")
    _refused("TRUNCATE audit_auditseal")
    _refused("ALTER TABLE audit_auditseal DISABLE TRIGGER ALL")


def test_the_runtime_role_still_works_the_clinical_tables(as_runtime_role, alice):
    from tests.factories import make_client

    record = make_client(alice)
    record.legal_name = "Renamed Client"
    record.save()
