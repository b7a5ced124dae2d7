"""The shipped deployment runs with least privilege in PostgreSQL.

Mirrors docker-compose.yml on this test server: the db service's init script
(ops/postgres/initdb/10-roles.sh) creates an owner role and a runtime role and a database owned
by the owner; `migrate` runs as the owner, then `grant_runtime_role` (the compose migrate
command); then the app's data is written as the runtime role. Every attack below is a REAL
LOGIN connection as the runtime role, and each must fail. Production's start-up check refuses
a superuser and the owner and accepts the runtime role.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

from ipnb_notes.deployment import role_problems
from tests.security.test_headers import _production_env

ROOT = Path(__file__).resolve().parents[2]
INIT_SCRIPT = ROOT / "ops" / "postgres" / "initdb" / "10-roles.sh"
SUFFIX = f"t{os.getpid()}"
DB = f"ipnb_roles_{SUFFIX}"
OWNER = f"ipnb_owner_{SUFFIX}"
APP = f"ipnb_app_{SUFFIX}"
PASSWORD = "role-test-password"

SEED = """
import django; django.setup()
import audit
from accounts.models import User
from sessions.models import ProgressNote
from sessions.notes import services as notes
from tests.factories import make_client, make_note, make_session, make_user
alice = make_user(email="alice@example.org", full_name="Alice T", role=User.Role.THERAPIST)
note = make_note(make_session(make_client(alice), alice), plan="Continue weekly.")
note = ProgressNote.objects.select_related("session", "client", "author").get(pk=note.pk)
note = notes.note_sign(note=note, by=alice)
audit.record("test.runtime_role")
print(note.pk, note.status)
"""


def _server() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {"host": db["HOST"], "port": db["PORT"] or "5432", "admin": db["USER"]}


def _url(user: str, database: str = DB) -> str:
    server = _server()
    if server["host"].startswith("/"):
        return (
            f"postgresql://{user}:{PASSWORD}@/{database}?host={quote(server['host'])}"
        )
    return (
        f"postgresql://{user}:{PASSWORD}@{server['host']}:{server['port']}/{database}"
    )


def _connect(user: str) -> psycopg.Connection:
    server = _server()
    return psycopg.connect(
        host=server["host"],
        port=server["port"],
        user=user,
        password=PASSWORD,
        dbname=DB,
        autocommit=True,
    )


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"TEST_DB_NAME"}}
    result = subprocess.run(
        args,
        env={**base, "IPNB_ENV": "test", **env},
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def _drop() -> None:
    server = _server()
    with psycopg.connect(
        host=server["host"],
        port=server["port"],
        user=server["admin"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{APP}"')
        admin.execute(f'DROP ROLE IF EXISTS "{OWNER}"')


@pytest.fixture(scope="module")
def deployment():
    server = _server()
    _drop()
    try:
        _run(
            ["bash", str(INIT_SCRIPT)],
            PGHOST=server["host"],
            PGPORT=server["port"],
            POSTGRES_USER=server["admin"],
            POSTGRES_DB="postgres",
            IPNB_DB=DB,
            IPNB_OWNER_ROLE=OWNER,
            IPNB_APP_ROLE=APP,
            IPNB_OWNER_PASSWORD=PASSWORD,
            IPNB_APP_PASSWORD=PASSWORD,
        )
        manage = [sys.executable, "manage.py"]
        _run([*manage, "migrate", "--noinput"], DATABASE_URL=_url(OWNER))
        _run([*manage, "grant_runtime_role", APP], DATABASE_URL=_url(OWNER))
        seeded = _run([sys.executable, "-c", SEED], DATABASE_URL=_url(APP))
        note_id, status = seeded.stdout.split()[-2:]
        assert status == "SIGNED"
        yield {"note": int(note_id)}
    finally:
        _drop()


def _refused(sql: str, params=()) -> None:
    with _connect(APP) as app, pytest.raises(psycopg.Error):
        app.execute(sql, params)


def test_the_runtime_role_is_neither_superuser_nor_owner(deployment):
    with _connect(APP) as app:
        assert role_problems(app.cursor()) == []
        superuser, owned = app.execute(
            "SELECT rolsuper, (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " FROM pg_roles r WHERE rolname = current_user"
        ).fetchone()
    assert (superuser, owned) == (False, 0)


def test_the_runtime_role_cannot_update_delete_or_truncate_the_audit_trail(deployment):
    with _connect(APP) as app:
        before = app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
    assert before > 0

    _refused("UPDATE audit_auditevent SET action = 'x'")
    _refused("DELETE FROM audit_auditevent")
    _refused(
        "DELETE FROM audit_auditevent WHERE seq = (SELECT max(seq) FROM audit_auditevent)"
    )
    _refused("TRUNCATE audit_auditevent")
    _refused("TRUNCATE audit_auditevent CASCADE")

    with _connect(APP) as app:
        assert (
            app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == before
        )


def test_the_runtime_role_cannot_update_delete_or_truncate_the_seals(deployment):
    """The sealer, running as the runtime role, chained the seeded events; the same role
    cannot rewrite, remove or empty the chain."""
    with _connect(APP) as app:
        before = app.execute(
            "SELECT count(*), max(hash) FROM audit_auditseal"
        ).fetchone()
    assert before[0] > 0

    _refused("UPDATE audit_auditseal SET hash = repeat('0', 64)")
    _refused("UPDATE audit_auditseal SET position = position + 1000")
    _refused("DELETE FROM audit_auditseal")
    _refused(
        "DELETE FROM audit_auditseal WHERE position = (SELECT max(position)"
        " FROM audit_auditseal)"
    )
    _refused("TRUNCATE audit_auditseal")
    _refused("TRUNCATE audit_auditseal CASCADE")
    _refused("ALTER TABLE audit_auditseal DISABLE TRIGGER ALL")

    with _connect(APP) as app:
        assert (
            app.execute("SELECT count(*), max(hash) FROM audit_auditseal").fetchone()
            == before
        )


def test_the_runtime_role_cannot_disable_triggers_or_replication_mode(deployment):
    _refused("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    _refused("ALTER TABLE therapy_sessions_progressnote DISABLE TRIGGER ALL")
    _refused("SET session_replication_role = replica")


def test_the_truncate_escape_is_not_installed_outside_the_test_suite(deployment):
    """The opt-in that lets the test suite empty its scratch database is absent from what
    migrations install: setting it changes nothing, even for the owner."""
    _refused(
        "SET ipnb.allow_audit_truncate = on; TRUNCATE audit_auditevent",
    )
    with _connect(OWNER) as owner:
        owner.execute("SET ipnb.allow_audit_truncate = on")
        with pytest.raises(psycopg.Error, match="append-only"):
            owner.execute("TRUNCATE audit_auditevent")
        source = owner.execute(
            "SELECT string_agg(prosrc, ' ') FROM pg_proc WHERE proname LIKE 'pgtrigger_%'"
        ).fetchone()[0]
    assert "allow_audit_truncate" not in source


def test_the_runtime_role_cannot_lift_the_signed_note_trigger(deployment):
    note = deployment["note"]
    with _connect(APP) as app:
        app.execute("SET pgtrigger.ignore = '{pgtrigger_signed_note_immutable_x}'")
        names = [
            name
            for (name,) in app.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid ="
                " 'therapy_sessions_progressnote'::regclass AND tgname LIKE 'pgtrigger_%'"
            )
        ]
        app.execute(
            "SELECT set_config('pgtrigger.ignore', %s, false)",
            ["{" + ",".join(names) + "}"],
        )
        with pytest.raises(psycopg.Error):
            app.execute(
                "UPDATE therapy_sessions_progressnote SET plan = 'x' WHERE id = %s",
                [note],
            )
        with pytest.raises(psycopg.Error):
            app.execute(
                "DELETE FROM therapy_sessions_progressnote WHERE id = %s", [note]
            )
        plan, status = app.execute(
            "SELECT plan, status FROM therapy_sessions_progressnote WHERE id = %s",
            [note],
        ).fetchone()
    assert status == "SIGNED"
    assert plan != "x"


# --- The start-up check --------------------------------------------------------------------------


def test_the_start_up_check_refuses_a_superuser_and_the_owner(deployment):
    server = _server()
    with psycopg.connect(
        host=server["host"], port=server["port"], user=server["admin"], dbname=DB
    ) as admin:
        assert any("superuser" in p for p in role_problems(admin.cursor()))
    with _connect(OWNER) as owner:
        problems = role_problems(owner.cursor())
    assert any(
        "audit_auditevent" in p and "therapy_sessions_progressnote" in p
        for p in problems
    ), problems


def _serve(code: str, user: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**_production_env(), "DATABASE_URL": _url(user)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


WSGI = "import ipnb_notes.wsgi"
CELERY = (
    "import django; django.setup();"
    " from ipnb_notes.celery import _refuse_a_privileged_database_role as check; check()"
)


@pytest.mark.parametrize("code", [WSGI, CELERY], ids=["wsgi", "celery"])
def test_production_refuses_to_serve_as_superuser_or_owner(deployment, code):
    for user, problem in ((_server()["admin"], "is a superuser"), (OWNER, "owns")):
        result = _serve(code, user)
        assert result.returncode != 0, user
        assert "DATABASE_URL" in result.stderr and problem in result.stderr, (
            result.stderr[-1500:]
        )


@pytest.mark.parametrize("code", [WSGI, CELERY], ids=["wsgi", "celery"])
def test_production_serves_as_the_runtime_role(deployment, code):
    result = _serve(code, APP)
    assert result.returncode == 0, result.stderr[-1500:]
