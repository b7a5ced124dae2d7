"""Personas (STYLE.md 7.11) and global test settings.

- alice: a therapist; her clients and notes are hers.
- bob: Alice's supervisor (co-signature required): he reads her clinical record, co-signs
  and comments, and never edits it.
- charlie: a therapist with no link to Alice: sees nothing of hers (404).
- ada: the practice admin: manages accounts and reads no clinical text (404 on clinical pages).
"""

from __future__ import annotations

import os
import shutil

import pytest

from accounts.models import User
from tests.factories import make_supervision, make_user


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db) -> User:
    return make_user(
        email="alice@example.org", full_name="Alice Therapist", role=User.Role.THERAPIST
    )


@pytest.fixture
def bob(db, alice) -> User:
    bob = make_user(
        email="bob@example.org", full_name="Bob Supervisor", role=User.Role.SUPERVISOR
    )
    make_supervision(bob, alice, requires_cosignature=True)
    return bob


@pytest.fixture
def charlie(db) -> User:
    return make_user(
        email="charlie@example.org",
        full_name="Charlie Unrelated",
        role=User.Role.THERAPIST,
    )


@pytest.fixture
def ada(db) -> User:
    return make_user(
        email="ada@example.org", full_name="Ada Admin", role=User.Role.ADMIN
    )


@pytest.fixture
def personas(alice, bob, charlie, ada) -> dict[str, User]:
    return {"alice": alice, "bob": bob, "charlie": charlie, "ada": ada}


# --- Browser tests -------------------------------------------------------------------------------

# Playwright's sync API runs an event loop in the test thread; Django's guard against ORM calls
# from async code would then refuse the test's own (synchronous) database calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _allow_flushing_the_audit_trail(django_db_setup, django_db_blocker):
    """Transactional tests end with a TRUNCATE of every table, which the append-only tables
    refuse. The scratch test database alone gets an opt-in for a superuser session
    (ipnb_notes.triggers.install_test_truncate_escape, refused outside IPNB_ENV=test) and opts
    in; a test of the guard itself sets ipnb.allow_audit_truncate to off on its own connection."""
    from django.db import connection

    from ipnb_notes.triggers import install_test_truncate_escape

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        install_test_truncate_escape(connection)
        cursor.execute(
            f'ALTER DATABASE "{connection.settings_dict["NAME"]}" SET ipnb.allow_audit_truncate = on'
        )
        cursor.execute("SET ipnb.allow_audit_truncate = on")
    yield


CHROMIUM = (
    os.environ.get("CHROMIUM_PATH")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    if os.environ.get("CI") == "true":
        # In CI a missing browser is a failure, not a skip: the fixture below raises.
        return
    skip = pytest.mark.skip(
        reason="no Chromium found (install Debian's `chromium` or set CHROMIUM_PATH)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _patient_browser_assertions():
    """The CI machine has two cores shared by Chromium, the live server and PostgreSQL; an htmx
    round trip that takes a second under that load is not a failure of the product."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        raise RuntimeError(
            "CI=true but no Chromium is installed: browser tests cannot run"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


# --- Data that migrations seed ----------------------------------------------------------------

# Transactional tests (browser tests, the worker test) end by emptying every table, which
# also removes rows that data migrations put there (the default IPNB indicator set). Put them
# back before each such test, so that it does not depend on which tests ran before it.
_SEEDING_MIGRATIONS = [
    ("sessions.migrations.0002_default_indicators", "add_defaults"),
    ("sessions.migrations.0003_domains_of_integration", "add_domains"),
]


@pytest.fixture(autouse=True)
def _reseed_migration_data(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in _SEEDING_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _let_the_live_server_finish(request):
    """A browser test ends with the page closed and every table emptied; a request the page
    sent just before closing may still be running in the live server, and its reads would
    deadlock with the TRUNCATE. Wait (at most 10 s) for the server's request threads first."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")  # so this tears down before the flush
    yield
    import threading
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        thread.name.endswith("(process_request_thread)") and thread.is_alive()
        for thread in threading.enumerate()
    ):
        time.sleep(0.05)
