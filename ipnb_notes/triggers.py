"""Database triggers shared by several tables: the append-only ones (audit trail, disclosures)
and the flags a parent row keeps about its one child (a session's note, a rupture's repair)."""

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


# A parent's flag that says it has its one child (a session its note, a rupture its repair),
# kept by the database so that a partial index can read "has none" (an anti-join cannot be
# indexed). The child's trigger sets the flag in the child's own transaction and follows a
# deleted or moved child; each UPDATE touches the parent only when the flag is to change.
_MARKS_PARENT = """
                IF TG_OP <> 'INSERT' THEN
                    IF TG_OP = 'DELETE' OR OLD.{fk} <> NEW.{fk} THEN
                        UPDATE {parent} SET {flag} = false
                        WHERE id = OLD.{fk} AND {flag};
                    END IF;
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    IF TG_OP = 'INSERT' OR OLD.{fk} <> NEW.{fk} THEN
                        UPDATE {parent} SET {flag} = true
                        WHERE id = NEW.{fk} AND NOT {flag};
                    END IF;
                END IF;
                RETURN NULL;
                """
# The parent's own trigger: whenever an UPDATE would change the flag (a row read before its
# child was written, saved whole), the flag is set from the children themselves.
_FLAG_FROM_CHILDREN = """
                NEW.{flag} := EXISTS (
                    SELECT 1 FROM {child} WHERE {fk} = NEW.id
                );
                RETURN NEW;
                """


def marks_parent(name: str, *, fk: str, parent: str, flag: str) -> pgtrigger.Trigger:
    """On the child table: the parent row (`parent` table, by the child's `fk` column) has
    its `flag` set while the child points at it."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.Delete | pgtrigger.UpdateOf(fk),
        when=pgtrigger.After,
        func=_MARKS_PARENT.format(fk=fk, parent=parent, flag=flag),
    )


def flag_from_children(
    name: str, *, flag: str, child: str, fk: str
) -> pgtrigger.Trigger:
    """On the parent table: `flag` says what the `child` table says, whoever writes the row."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Update,
        when=pgtrigger.Before,
        condition=pgtrigger.Q(**{f"old__{flag}__df": pgtrigger.F(f"new__{flag}")}),
        func=_FLAG_FROM_CHILDREN.format(flag=flag, child=child, fk=fk),
    )
