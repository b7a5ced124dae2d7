"""Database triggers shared by the append-only tables (audit trail, disclosures)."""

from __future__ import annotations

import pgtrigger

# The trigger that refuses TRUNCATE, as every environment's migrations install it: no setting
# lifts it. Only the test suite, which empties its scratch database between transactional
# tests, swaps in a variant with an opt-in (install_test_truncate_escape), on its own database.
NO_TRUNCATE = "RAISE EXCEPTION '{what} is append-only'; RETURN NULL;"
TEST_TRUNCATE_ESCAPE = (
    "IF current_setting('ipnb.allow_audit_truncate', true) = 'on'"
    " AND current_setting('is_superuser') = 'on' THEN RETURN NULL; END IF;"
)


def append_only(what: str, *, prefix: str = "") -> list[pgtrigger.Trigger]:
    """UPDATE, DELETE and TRUNCATE refused in PostgreSQL itself."""
    return [
        pgtrigger.Protect(
            name=f"{prefix}append_only", operation=pgtrigger.Update | pgtrigger.Delete
        ),
        pgtrigger.Trigger(
            name=f"{prefix}no_truncate",
            operation=pgtrigger.Truncate,
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            func=NO_TRUNCATE.format(what=what),
        ),
    ]


def install_test_truncate_escape(connection) -> list[str]:
    """Test databases only: let a superuser session that sets ipnb.allow_audit_truncate=on
    TRUNCATE the append-only tables. Refuses outside IPNB_ENV=test. Returns the functions
    it rewrote."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if settings.IPNB_ENV != "test":
        raise ImproperlyConfigured(
            "the TRUNCATE escape of the append-only tables exists only under IPNB_ENV=test"
        )
    rewritten = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT t.tgfoid::regprocedure::text, pg_get_functiondef(t.tgfoid)"
            " FROM pg_trigger t WHERE t.tgname LIKE 'pgtrigger_%no_truncate_%'"
        )
        for name, definition in cursor.fetchall():
            if TEST_TRUNCATE_ESCAPE in definition:
                continue
            head, raise_, tail = definition.partition("RAISE EXCEPTION")
            cursor.execute(head + TEST_TRUNCATE_ESCAPE + " " + raise_ + tail)
            rewritten.append(name)
    return rewritten
