"""WEB-08: what `docker build` copies into the image. No Docker engine runs here, so this
applies Docker's .dockerignore rules (moby/patternmatcher: patterns anchored at the context
root, `**` across directories, a matched directory excludes its contents, the last matching
line wins, `!` re-includes) to a checkout with the files a working copy accumulates."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern.strip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def _rules() -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _pattern_regex(line.lstrip("!"))))
    return rules


def _excluded(path: str, rules) -> bool:
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def _working_copy() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    accumulated = [
        ".git/HEAD",
        ".git/config",
        ".git/objects/ab/cdef",
        "static/vendor/htmx/.git/config",
        ".env",
        ".env.production",
        "deploy/.env",
        ".data/postgres/base/1/1259",
        ".venv/bin/python",
        ".tools/bin/uv",
        "sessions/__pycache__/models.cpython-312.pyc",
        "ipnb_notes/lib/__pycache__/crypto.cpython-312.pyc",
        "stray.pyc",
        "test-results/trace.zip",
    ]
    return tracked + accumulated


@pytest.fixture(scope="module")
def image_files() -> set[str]:
    rules = _rules()
    return {path for path in _working_copy() if not _excluded(path, rules)}


def test_no_version_control_or_secrets_reach_the_image(image_files):
    leaked = [
        path
        for path in image_files
        if "/.git/" in f"/{path}"
        or re.search(r"(^|/)\.env(\.|$)", path)
        and path != ".env.example"
        or "__pycache__" in path
        or path.endswith(".pyc")
        or path.startswith((".data/", ".venv/", ".tools/", "test-results/"))
    ]
    assert leaked == []


def test_what_the_app_needs_is_copied(image_files):
    for needed in (
        "manage.py",
        "pyproject.toml",
        "uv.lock",
        ".python-version",
        "ipnb_notes/settings.py",
        "sessions/models.py",
        "sessions/notes/models.py",
        "sessions/capture/models.py",
        "sessions/scheduling/models.py",
        "templates/base.html",
        ".env.example",
    ):
        assert needed in image_files, needed
    assert not any(path.startswith("tests/") for path in image_files)


def test_the_matcher_follows_docker_rules():
    rules = [
        (False, _pattern_regex("**/__pycache__")),
        (False, _pattern_regex("tests")),
    ]
    assert _excluded("a/b/__pycache__/x.pyc", rules)
    assert _excluded("tests/test_x.py", rules)
    assert not _excluded("app/tests.py", rules)
    assert not _excluded("sub/tests/x.py", rules)  # anchored at the context root
    assert _excluded("x", [(False, _pattern_regex("*")), (True, _pattern_regex("y"))])
    assert not _excluded(
        "y", [(False, _pattern_regex("*")), (True, _pattern_regex("y"))]
    )


def test_the_image_runs_as_an_unprivileged_user_with_production_settings():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER ipnb$", dockerfile, re.M)
    assert (
        "IPNB_ENV" not in dockerfile.split("USER ipnb")[1]
    )  # production is the default
    assert "DEBUG" not in dockerfile


def test_the_image_has_the_font_released_records_are_printed_in():
    from disclosures.pdf import DEFAULT_FONT

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "fonts-dejavu-core" in dockerfile
    assert DEFAULT_FONT == "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
