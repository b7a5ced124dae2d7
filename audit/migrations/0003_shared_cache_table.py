"""The PostgreSQL cache table that rate limits, TOTP replay protection and lockout counters
share across worker processes when no Redis cache is configured (settings.CACHES)."""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_truncate_guard_superuser_opt_in")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
