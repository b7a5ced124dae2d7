"""Production refuses to serve as a database role that could rewrite history.

The web, worker and beat processes must connect as the runtime role (docker-compose.yml,
audit/sql/runtime_role.sql): a superuser can switch triggers off or replay the audit trail
without them, and the owner of the tables can disable their triggers. `manage.py migrate` runs
as the owner, so this check runs where the app serves (ipnb_notes/wsgi.py, the Celery worker
and beat start-up in ipnb_notes/celery.py), never at settings load.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

# Tables whose owner could lift their guards: the audit trail and the signed notes.
GUARDED_TABLES = ("audit_auditevent", "therapy_sessions_progressnote")


def role_problems(cursor) -> list[str]:
    """What is wrong with the role `cursor` is connected as (empty: a runtime role)."""
    cursor.execute(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
    )
    user, superuser = cursor.fetchone()
    problems = []
    if superuser:
        problems.append(f"the database role {user!r} is a superuser")
    cursor.execute(
        "SELECT c.relname FROM pg_class c"
        " WHERE c.relname = ANY(%s) AND c.relkind IN ('r', 'p')"
        " AND pg_has_role(current_user, c.relowner, 'MEMBER') AND NOT %s"
        " ORDER BY c.relname",
        [list(GUARDED_TABLES), bool(superuser)],
    )
    owned = [name for (name,) in cursor.fetchall()]
    if owned:
        problems.append(
            f"the database role {user!r} owns (or may act as the owner of) "
            + ", ".join(owned)
        )
    return problems


def check_runtime_role(using: str = "default") -> None:
    """Raise ImproperlyConfigured naming the problem unless connected as a runtime role."""
    from django.db import connections

    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            problems = role_problems(cursor)
    finally:
        connection.close()
    if problems:
        raise ImproperlyConfigured(
            "DATABASE_URL: production must connect as the runtime role (owning no table, "
            "not a superuser; see docs/OPERATIONS.md), but " + "; ".join(problems)
        )


def check_at_startup() -> None:
    """The production start-up check of web, worker and beat; nothing in development or test."""
    from django.conf import settings

    if settings.PRODUCTION:
        check_runtime_role()
