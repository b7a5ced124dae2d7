"""Every environment variable the settings read is documented in README.md and .env.example."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    tree = ast.parse((ROOT / "ipnb_notes" / "settings.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_the_settings_read_the_variables_we_expect():
    names = _variables_read_by_settings()

    assert {"IPNB_ENV", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= names


def test_the_readme_documents_every_variable():
    readme = (ROOT / "README.md").read_text()

    missing = {n for n in _variables_read_by_settings() if f"`{n}`" not in readme}
    assert not missing, f"README.md does not document {sorted(missing)}"


def test_env_example_lists_every_variable():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))

    missing = _variables_read_by_settings() - listed
    assert not missing, f".env.example does not list {sorted(missing)}"


def test_the_readme_opens_with_the_two_commands():
    opening = (ROOT / "README.md").read_text()[:400]

    assert "make run" in opening
    assert "make test" in opening


def test_env_example_describes_one_consistent_proxy_deployment():
    """The documented deployment has one TLS proxy in front of web: it appends the client's
    address (TRUSTED_PROXY_COUNT=1, or every audit row and lockout names the proxy) and sets
    X-Forwarded-Proto (TRUST_X_FORWARDED_PROTO=true, or the HTTPS redirect loops)."""
    example = dict(
        re.findall(
            r"^([A-Z][A-Z0-9_]+)=(.*)$",
            (ROOT / ".env.example").read_text(),
            re.MULTILINE,
        )
    )

    assert example["TRUSTED_PROXY_COUNT"] == "1"
    assert example["TRUST_X_FORWARDED_PROTO"] == "true"
