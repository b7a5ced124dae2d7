"""Database triggers shared by the append-only tables (audit trail, disclosures)."""

from __future__ import annotations

import pgtrigger


def append_only(what: str, *, prefix: str = "") -> list[pgtrigger.Trigger]:
    """UPDATE, DELETE and TRUNCATE refused in PostgreSQL itself.

    A superuser can drop triggers anyway; letting one opt in to TRUNCATE explicitly
    (`ipnb.allow_audit_truncate`) is what lets the test suite empty its scratch database
    between transactional tests.
    """
    return [
        pgtrigger.Protect(
            name=f"{prefix}append_only", operation=pgtrigger.Update | pgtrigger.Delete
        ),
        pgtrigger.Trigger(
            name=f"{prefix}no_truncate",
            operation=pgtrigger.Truncate,
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            func=(
                "IF current_setting('ipnb.allow_audit_truncate', true) = 'on'"
                " AND current_setting('is_superuser') = 'on' THEN RETURN NULL; END IF;"
                f" RAISE EXCEPTION '{what} is append-only'; RETURN NULL;"
            ),
        ),
    ]
