"""Production settings refuse to start without their secrets; test runs get safe defaults."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "k1:" + base64.b64encode(b"k" * 32).decode()


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "AUDIT_HMAC_KEY",
            "IPNB_ENV",
            "DEBUG",
        }
        and not k.endswith("_FILE")
    }
    return subprocess.run(
        [sys.executable, "-c", "import ipnb_notes.settings"],
        cwd=ROOT,
        env={
            **clean,
            "IPNB_ENV": "production",
            # Production requires both; settings load does not connect or read the file.
            "DATABASE_URL": os.environ.get("DATABASE_URL")
            or "postgresql://ipnb_app@/ipnb?host=/var/run/postgresql",
            "AUDIT_ANCHOR_FILE": "/nonexistent/audit-anchors.jsonl",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_production_without_a_secret_key():
    result = _import_settings(FIELD_ENCRYPTION_KEYS=KEY, AUDIT_HMAC_KEY="a" * 40)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "missing", ["FIELD_ENCRYPTION_KEYS", "AUDIT_HMAC_KEY"], ids=lambda m: m
)
def test_it_refuses_production_without_its_keys(missing):
    env = {
        "SECRET_KEY": "s" * 50,
        "FIELD_ENCRYPTION_KEYS": KEY,
        "AUDIT_HMAC_KEY": "a" * 40,
    }
    del env[missing]

    result = _import_settings(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_it_refuses_an_unknown_environment_name():
    result = _import_settings(IPNB_ENV="staging")

    assert result.returncode != 0
    assert "IPNB_ENV must be production, development or test" in result.stderr


def test_it_refuses_a_database_other_than_postgresql():
    result = _import_settings(
        SECRET_KEY="s" * 50,
        FIELD_ENCRYPTION_KEYS=KEY,
        AUDIT_HMAC_KEY="a" * 40,
        DATABASE_URL="sqlite:///db.sqlite3",
    )

    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr


def test_it_starts_in_production_with_every_secret_given():
    result = _import_settings(
        SECRET_KEY="s" * 50,
        FIELD_ENCRYPTION_KEYS=KEY,
        AUDIT_HMAC_KEY="a" * 40,
        DATABASE_URL="postgresql://ipnb@db.invalid:5432/ipnb?sslmode=verify-full",
    )

    assert result.returncode == 0, result.stderr


def test_the_test_run_is_not_in_production_mode(settings):
    assert settings.IPNB_ENV == "test"
    assert settings.DEBUG is False
