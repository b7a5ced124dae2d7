"""CRY-01: production refuses to start when the database or the broker is reached over the
network without verified TLS; loopback and Unix sockets need none."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ipnb_notes.lib import transport
from tests.security.test_headers import ROOT, _production_env


def _start_production(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.DATABASES['default']['HOST'])",
        ],
        env={**_production_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_production_refuses_a_network_database_without_verify_full():
    result = _start_production(
        DATABASE_URL="postgresql://app:pw@db.example.org:5432/ipnb?sslmode=require"
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "sslmode=verify-full" in result.stderr


def test_production_starts_with_a_verified_tls_database():
    result = _start_production(
        DATABASE_URL="postgresql://app:pw@db.example.org:5432/ipnb"
        "?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem",
        CELERY_BROKER_URL="rediss://broker.example.org:6380/0?ssl_cert_reqs=required",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "db.example.org"


def test_production_starts_with_a_database_on_a_unix_socket():
    result = _start_production(
        DATABASE_URL="postgresql://ipnb:pw@/ipnb?host=/var/run/postgresql",
        CELERY_BROKER_URL="redis+socket:///run/redis/redis.sock",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/var/run/postgresql"


def test_production_refuses_a_network_broker_without_tls():
    result = _start_production(
        DATABASE_URL="postgresql://ipnb:pw@/ipnb?host=/var/run/postgresql",
        CELERY_BROKER_URL="redis://redis:6379/0",
    )

    assert result.returncode != 0
    assert "CELERY_BROKER_URL: redis is reached over the network" in result.stderr


@pytest.mark.parametrize(
    ("host", "options", "refused"),
    [
        ("127.0.0.1", {}, False),
        ("localhost", {}, False),
        ("::1", {}, False),
        ("", {}, False),
        ("/var/run/postgresql", {}, False),
        ("db", {}, True),
        ("db", {"sslmode": "require"}, True),
        ("db", {"sslmode": "verify-ca"}, True),
        ("db", {"sslmode": "verify-full"}, False),
    ],
)
def test_which_database_hosts_need_verified_tls(host, options, refused):
    assert bool(transport.database_problem(host, options)) is refused


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        (None, False),
        ("redis://127.0.0.1:6379/0", False),
        ("redis+socket:///run/redis.sock", False),
        ("rediss://broker:6380/0", False),
        ("rediss://broker:6380/0?ssl_cert_reqs=required", False),
        ("rediss://broker:6380/0?ssl_cert_reqs=none", True),
        ("redis://broker:6379/0", True),
        ("amqp://broker:5672//", True),
        ("amqps://broker:5671//", False),
        ("unix:///run/redis/redis.sock?db=1", False),
    ],
)
def test_which_brokers_need_tls(url, refused):
    assert bool(transport.broker_problem(url)) is refused


def test_production_refuses_a_network_cache_without_tls():
    result = _start_production(
        DATABASE_URL="postgresql://ipnb:pw@/ipnb?host=/var/run/postgresql",
        CACHE_URL="redis://cache.internal:6379/1",
    )

    assert result.returncode != 0
    assert "CACHE_URL: cache.internal" in result.stderr
