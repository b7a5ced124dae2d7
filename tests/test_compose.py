"""docker-compose.yml is a valid Compose file with the services the deployment needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def _compose_plugin_available() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
    )
    return result.returncode == 0


def test_it_is_a_valid_compose_file():
    if _compose_plugin_available():
        result = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "-q"],
            cwd=ROOT,
            env={
                "POSTGRES_PASSWORD": "validation-only",
                "IPNB_OWNER_PASSWORD": "validation-only",
                "IPNB_APP_PASSWORD": "validation-only",
                "AUDIT_ANCHOR_DIR": "/tmp",
                "PATH": "/usr/bin:/bin",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    else:
        # No Compose plugin here: validate against the published Compose specification.
        checker = Path(sys.executable).with_name("check-jsonschema")
        result = subprocess.run(
            [
                str(checker),
                "--builtin-schema",
                "vendor.compose-spec",
                str(COMPOSE),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stdout + result.stderr


def _services() -> dict:
    # ruamel.yaml comes with check-jsonschema; it resolves the `<<: *app` merge keys.
    return YAML(typ="safe").load(COMPOSE.read_text())["services"]


def test_it_runs_web_worker_beat_from_one_image_with_db_and_redis():
    services = _services()

    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    images = {services[name].get("image") for name in ("web", "worker", "beat")}
    assert images == {"ipnb-notes:latest"}
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_the_database_and_broker_have_healthchecks_the_app_waits_for():
    services = _services()

    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["redis"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "manage.py migrate" in " ".join(_services()["migrate"]["command"])


def test_the_app_talks_to_postgresql_and_redis_and_reads_secrets_from_env():
    web = _services()["web"]

    assert web["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert web["environment"]["CELERY_BROKER_URL"].startswith("redis+socket://")
    assert web["env_file"] in (".env", [".env"])
    # Published on the loopback interface only: a TLS proxy goes in front.
    assert all(str(p).startswith("127.0.0.1:") for p in web["ports"])


def test_database_and_broker_traffic_stays_on_unix_sockets():
    """CRY-01: the URLs the app gets pass production's transport check."""
    from urllib.parse import parse_qs, urlsplit

    from ipnb_notes.lib import transport

    services = _services()
    env = services["web"]["environment"]
    # Compose substitutes ${POSTGRES_PASSWORD:?...} before the app sees the URL.
    url = urlsplit(re.sub(r"\$\{[^}]*\}", "secret", env["DATABASE_URL"]))
    host = parse_qs(url.query)["host"][0]
    assert url.hostname is None and host == "/var/run/postgresql"
    assert transport.database_problem(host, {}) is None
    assert transport.broker_problem(env["CELERY_BROKER_URL"]) is None
    for name in ("web", "worker", "beat", "migrate"):
        assert "pgsocket:/var/run/postgresql" in services[name]["volumes"], name
        assert "redissocket:/run/redis" in services[name]["volumes"], name
    assert "pgsocket:/var/run/postgresql" in services["db"]["volumes"]
    assert "redissocket:/run/redis" in services["redis"]["volumes"]
    assert "--port 0" in " ".join(services["redis"]["entrypoint"])


# --- Least privilege in PostgreSQL --------------------------------------------------------------


def _db_user(service: dict) -> str:
    from urllib.parse import urlsplit

    url = re.sub(r"\$\{[^}]*\}", "secret", service["environment"]["DATABASE_URL"])
    return urlsplit(url).username


def test_the_app_connects_as_the_runtime_role_and_migrate_as_the_owner():
    services = _services()
    superuser = services["db"]["environment"]["POSTGRES_USER"]
    owner = services["db"]["environment"]["IPNB_OWNER_ROLE"]
    runtime = services["db"]["environment"]["IPNB_APP_ROLE"]

    assert len({superuser, owner, runtime}) == 3
    for name in ("web", "worker", "beat"):
        assert _db_user(services[name]) == runtime, name
    assert _db_user(services["migrate"]) == owner
    assert superuser not in {
        _db_user(s)
        for s in services.values()
        if "environment" in s and "DATABASE_URL" in s["environment"]
    }


def test_migrate_applies_the_runtime_grants_after_the_schema():
    services = _services()
    command = " ".join(services["migrate"]["command"])
    runtime = services["db"]["environment"]["IPNB_APP_ROLE"]

    assert command.index("manage.py migrate") < command.index(
        f"manage.py grant_runtime_role {runtime}"
    )
    assert "&&" in command  # no grants after a failed migration, and a failure shows


def test_the_superuser_only_runs_the_init_script_that_creates_the_roles():
    db = _services()["db"]
    assert "./ops/postgres/initdb:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    script = (ROOT / "ops" / "postgres" / "initdb" / "10-roles.sh").read_text()
    for password in ("IPNB_OWNER_PASSWORD", "IPNB_APP_PASSWORD"):
        assert f"${{{password}:?" in script
        assert f"${{{password}:?" in db["environment"][password]
    assert "NOSUPERUSER" in script


def test_the_app_processes_do_not_see_the_other_roles_passwords():
    services = _services()
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["POSTGRES_PASSWORD"] == "" and env["IPNB_OWNER_PASSWORD"] == ""
    assert services["migrate"]["environment"]["IPNB_APP_PASSWORD"] == ""


def test_web_and_the_image_log_through_the_redacting_gunicorn_config():
    """The access log's format lives in ops/gunicorn.conf.py (paths without query strings or
    invitation tokens); compose and the image's default command both load it."""
    web = _services()["web"]["command"]
    assert web[web.index("-c") + 1] == "ops/gunicorn.conf.py"
    assert "--access-logfile" not in web
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert '"-c", "ops/gunicorn.conf.py"' in cmd


def test_the_audit_sealer_has_a_worker_of_its_own():
    """Beat queues the sealer every second on the "audit" queue; only the sealer's worker
    consumes it, and the main worker never does, so long tasks cannot delay sealing."""
    from django.conf import settings

    services = _services()
    queue = settings.CELERY_TASK_ROUTES["audit.tasks.audit_seal"]["queue"]
    assert f"--queues={queue}" in services["sealer"]["command"]
    assert "--concurrency=1" in services["sealer"]["command"]
    assert "--queues=celery" in services["worker"]["command"]
    assert services["sealer"]["environment"] == services["worker"]["environment"]
