"""One home for how a sent token is stored (ipnb_notes.lib.crypto.hash_token): invitations,
client links and calendar feeds hash their tokens the same way, and no app defines its own."""

from __future__ import annotations

import re
from pathlib import Path

from accounts import services as account_services
from ipnb_notes.lib import crypto
from measures import services as measure_services
from sessions.scheduling.services import feed

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "audit",
    "clients",
    "dashboards",
    "disclosures",
    "measures",
    "sessions",
)


def test_every_token_is_hashed_by_the_one_function():
    assert account_services.hash_token is crypto.hash_token
    assert measure_services.hash_token is crypto.hash_token
    assert feed.hash_token is crypto.hash_token
    assert crypto.hash_token("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_no_app_defines_its_own_token_hash():
    own = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if re.search(r"def \w*hash\w*token|def \w*token\w*hash", path.read_text())
    ]
    assert own == []
