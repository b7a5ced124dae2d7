"""The production pgBackRest configuration encrypts every repository and keeps no secret
(CRY-04), and it sets the retention, archiving and off-site copy REL-09 asks for."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "ops" / "backup"
CONF = BACKUP / "pgbackrest.conf"
PG_CONF = BACKUP / "postgresql-archiving.conf"


def _config() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # option names are case-sensitive in pgBackRest
    parser.read_string(CONF.read_text())
    return parser


def _options() -> dict[str, str]:
    """Every option of every section, by name (later sections do not hide earlier ones)."""
    config = _config()
    options: dict[str, str] = {}
    for section in config.sections():
        for name, value in config[section].items():
            options.setdefault(name, value)
    return options


def _repos() -> set[str]:
    return {m.group(1) for name in _options() if (m := re.match(r"repo(\d+)-", name))}


def test_every_repository_is_encrypted_with_aes_256_cbc():
    glob = _config()["global"]
    repos = _repos()

    assert {"1", "2"} <= repos
    for repo in repos:
        assert glob.get(f"repo{repo}-cipher-type") == "aes-256-cbc", f"repo{repo}"


def test_no_cipher_pass_or_storage_key_is_in_the_file():
    secrets = re.compile(r"(cipher-pass|s3-key|s3-key-secret|password)$")
    assert not [name for name in _options() if secrets.search(name)]
    # Not even as a commented-out example with a value.
    assert not re.search(r"cipher-pass\s*=", CONF.read_text())


def test_retention_is_set_for_both_repositories():
    glob = _config()["global"]

    assert int(glob["repo1-retention-full"]) >= 2
    assert int(glob["repo1-retention-diff"]) >= 7  # daily differentials for a week
    assert int(glob["repo2-retention-full"]) >= int(glob["repo1-retention-full"])


def test_off_site_copy_async_archiving_compression_and_fast_start():
    glob = _config()["global"]

    assert glob["repo2-type"] == "s3"
    assert glob["archive-async"] == "y" and glob["spool-path"]
    assert glob["compress-type"] in {"zst", "lz4", "gz", "bz2"}
    assert glob["start-fast"] == "y"


def _postgresql_settings() -> dict[str, str]:
    settings = {}
    for line in PG_CONF.read_text().splitlines():
        name, sep, value = line.partition("=")
        if not sep or name.lstrip().startswith("#"):
            continue
        value = value.strip()
        if value.startswith("'"):
            value = value[1 : value.index("'", 1)]
        else:
            value = value.split("#", 1)[0].strip()
        settings[name.strip()] = value
    return settings


def test_postgresql_archives_every_minute_to_pgbackrest():
    settings = _postgresql_settings()

    assert settings["archive_mode"] == "on"
    assert settings["wal_level"] in {"replica", "logical"}
    assert "pgbackrest" in settings["archive_command"]
    assert "archive-push %p" in settings["archive_command"]
    assert int(settings["archive_timeout"]) <= 60  # RPO of 5 minutes with room to spare


@pytest.mark.skipif(
    not shutil.which("pgbackrest"), reason="pgbackrest is not installed"
)
def test_pgbackrest_itself_accepts_every_option(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PGBACKREST_REPO1_CIPHER_PASS": "validation-only",
        "PGBACKREST_REPO2_CIPHER_PASS": "validation-only",
        "PGBACKREST_REPO2_S3_BUCKET": "validation-only",
        "PGBACKREST_REPO2_S3_ENDPOINT": "s3.invalid",
        "PGBACKREST_REPO2_S3_REGION": "validation-only",
        "PGBACKREST_REPO2_S3_KEY": "validation-only",
        "PGBACKREST_REPO2_S3_KEY_SECRET": "validation-only",
    }
    result = subprocess.run(
        ["pgbackrest", f"--config={CONF}", "--stanza=main", "--repo=1",
         "--log-level-file=off", f"--lock-path={tmp_path}",
         f"--repo1-path={tmp_path / 'repo'}", "info"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    output = result.stdout + result.stderr
    assert "invalid option" not in output
    assert result.returncode == 0, output
    assert "missing stanza path" in output  # it read the configuration and looked


def test_the_scripts_are_executable():
    for name in ("backup", "restore-drill"):
        assert os.access(BACKUP / name, os.X_OK), name
