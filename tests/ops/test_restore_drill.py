"""The weekly restore drill, end to end (REL-09, REL-10, CRY-04): scratch clusters, an
encrypted pgBackRest repository, point-in-time recovery between two marker rows, and the
checks on the restored database with keys loaded from an escrow file.

Needs pgbackrest and the PostgreSQL server binaries (CI installs both); each run takes about
a minute. The drill reports to the test database through `manage.py record_backup`.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from ipnb_notes.models import BackupReport

ROOT = Path(__file__).resolve().parents[2]
DRILL = ROOT / "ops" / "backup" / "restore-drill"


def _server_binaries() -> bool:
    if os.environ.get("PG_BIN"):
        return (Path(os.environ["PG_BIN"]) / "initdb").exists()
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))) or bool(
        shutil.which("initdb")
    )


needs_pgbackrest = pytest.mark.skipif(
    not shutil.which("pgbackrest") or not _server_binaries(),
    reason="pgbackrest or the PostgreSQL server binaries are not installed "
    "(apt-get install pgbackrest postgresql); CI installs them",
)


def _keys() -> dict[str, str]:
    return {
        "FIELD_ENCRYPTION_KEYS": f"k2026a:{base64.b64encode(os.urandom(32)).decode()}",
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
    }


def _key_file(path: Path, keys: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}={value}\n" for name, value in keys.items()))
    path.chmod(0o600)
    return path


def _live_database_url() -> str:
    """The test database, standing in for the live app database the drill reports to."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    host = db["HOST"] or "127.0.0.1"
    if host.startswith(
        "/"
    ):  # a Unix socket directory (the embedded development server)
        return f"postgresql://{auth}@{port}/{db['NAME']}?host={quote(host, safe='')}"
    return f"postgresql://{auth}@{host}{port}/{db['NAME']}"


def _run_drill(*args: str, live_keys: dict[str, str], record: bool = True):
    env = {
        **os.environ,
        "IPNB_ENV": "test",
        "DATABASE_URL": _live_database_url(),
        # What the live host's environment holds; the drill must not use it on the scratch
        # clusters.
        **live_keys,
    }
    env.pop("RESTORE_DRILL_SKIP_RECORD", None)
    if not record:
        env["RESTORE_DRILL_SKIP_RECORD"] = "1"
    return subprocess.run(
        [str(DRILL), *args], env=env, capture_output=True, text=True, timeout=600
    )


def _scratch_dir(stdout: str) -> Path:
    match = re.search(r"^== source cluster on port \d+ \((/[^)]+)\)", stdout, re.M)
    assert match, stdout
    return Path(match.group(1))


def _checks(stdout: str) -> dict[str, str]:
    checks = {}
    for line in stdout.splitlines():
        if line.startswith("check "):
            name, _, rest = line.removeprefix("check ").partition(": ")
            checks[name] = rest.split(" - ", 1)[0]
    return checks


@needs_pgbackrest
@pytest.mark.django_db(transaction=True)
def test_the_drill_restores_to_a_point_in_time_and_proves_the_escrowed_keys(tmp_path):
    escrow = _key_file(tmp_path / "escrow.env", _keys())

    # The live host's own keys differ from the escrowed ones: the drill uses the escrow.
    # Its pgBackRest and libpq settings would break the scratch clusters if they leaked in.
    live = {
        **_keys(),
        "PGBACKREST_REPO1_CIPHER_TYPE": "none",
        "PGBACKREST_STANZA": "main",
        "PGHOST": "/nonexistent",
    }
    result = _run_drill(
        "--escrow", str(escrow), "--label", "drill-test-pass", live_keys=live
    )

    assert result.returncode == 0, result.stdout + result.stderr
    checks = _checks(result.stdout)
    assert checks == {
        "archiver": "ok",
        "backup_age": "ok",
        "repository_encrypted": "ok",
        "marker_x_present": "ok",
        "marker_y_absent": "ok",
        "migrate_check": "ok",
        "audit_verify": "ok",
        "row_counts": "ok",
        "decrypt_escrowed_keys": "ok",
    }, result.stdout
    assert "restore drill passed" in result.stdout
    report = BackupReport.objects.get(kind="drill", label="drill-test-pass")
    assert report.ok
    assert not _scratch_dir(
        result.stdout
    ).exists()  # clusters stopped, directory removed


@needs_pgbackrest
@pytest.mark.django_db(transaction=True)
def test_the_drill_fails_when_the_escrowed_key_is_wrong(tmp_path):
    written_under = _keys()
    seed = _key_file(tmp_path / "live-keys.env", written_under)
    wrong = _key_file(tmp_path / "escrow.env", _keys())

    # The host's environment holds the right keys; only the escrow is wrong. The drill
    # must not fall back on the host's keys.
    result = _run_drill(
        "--escrow", str(wrong), "--seed-keys", str(seed), "--label", "drill-test-wrong-key",
        live_keys=written_under,
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    checks = _checks(result.stdout)
    assert checks["decrypt_escrowed_keys"] == "FAILED", result.stdout
    assert checks["audit_verify"] == "FAILED", result.stdout
    assert checks["marker_x_present"] == checks["marker_y_absent"] == "ok"
    assert "restore drill FAILED" in result.stderr
    assert "decrypt_escrowed_keys" in result.stderr
    report = BackupReport.objects.get(kind="drill", label="drill-test-wrong-key")
    assert not report.ok
    assert "decrypt_escrowed_keys" in report.detail
    assert not _scratch_dir(result.stdout).exists()


@needs_pgbackrest
def test_the_drill_refuses_an_escrow_file_without_both_keys(tmp_path):
    partial = tmp_path / "escrow.env"
    partial.write_text(f"FIELD_ENCRYPTION_KEYS={_keys()['FIELD_ENCRYPTION_KEYS']}\n")
    partial.chmod(0o600)

    result = _run_drill("--escrow", str(partial), live_keys=_keys(), record=False)

    assert result.returncode == 1
    assert "lacks AUDIT_HMAC_KEY" in result.stderr
    assert "check " not in result.stdout  # nothing was started
