"""Browser-facing defences: CSP with nonces, security headers, no caching of anything a
signed-in user sees, CSRF on every state change, templates without inline script or
handlers, and production settings that pass `check --deploy` (WEB-01, 03..06, 08; CRY-01)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.urlwalk import all_routes

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def _production_env() -> dict[str, str]:
    import base64

    # conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests; a deployment never does.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **base,
        "IPNB_ENV": "production",
        "SECRET_KEY": "s" * 30 + "-Zq8#kL2@xV9!pR4$wT7^yU1&iO3*aS5",
        "FIELD_ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"k" * 32).decode(),
        "AUDIT_HMAC_KEY": "h" * 48,
        "ALLOWED_HOSTS": "notes.example.org",
        "DJANGO_SETTINGS_MODULE": "ipnb_notes.settings",
        # Production requires both; settings load does not connect or read the file.
        "DATABASE_URL": base.get("DATABASE_URL")
        or "postgresql://ipnb_app@/ipnb?host=/var/run/postgresql",
        "AUDIT_ANCHOR_FILE": "/nonexistent/audit-anchors.jsonl",
    }


def _in_production(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return result.stdout.strip()


# --- WEB-03: CSP ------------------------------------------------------------------------------


def test_every_html_page_has_a_strict_csp_with_a_fresh_nonce(client, alice):
    client.force_login(alice)
    first = client.get("/")
    second = client.get("/")
    policy = first["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in policy, directive
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    other = re.search(r"'nonce-([^']+)'", second["Content-Security-Policy"]).group(1)
    assert nonce != other
    assert f'nonce="{nonce}"' in first.content.decode()


def test_the_login_page_has_the_same_policy(client):
    assert (
        "script-src 'self' 'nonce-"
        in client.get("/accounts/login/")["Content-Security-Policy"]
    )


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def _without_comments(text: str) -> str:
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    return re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.S)


# mark_safe() (and Jinja2's Markup()) calls reviewed line by line: every interpolated value
# goes through escape(), format_html() or format_html_join() first. A new call fails the test
# until reviewed. None today: the dashboards' tables are autoescaped Jinja2 partials.
REVIEWED_MARK_SAFE: dict[str, int] = {}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script_handlers_or_styles(path):
    text = _without_comments(path.read_text())
    for match in re.finditer(r"<script\b[^>]*>", text):
        tag = match.group(0)
        if 'type="application/json"' in tag:
            continue  # data, never executed (json_script and allauth's data blocks)
        assert 'nonce="{{ csp_nonce }}"' in tag, tag
        assert "src=" in tag, f"inline script in {path}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"\shx-on[:-]", text), "hx-on handler"
    assert not re.search(r"\sstyle\s*=", text), "inline style attribute"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_never_switch_escaping_off(path):
    text = _without_comments(path.read_text())
    assert "|safe" not in text
    assert "{% autoescape off" not in text
    assert "autoescape false" not in text.lower()  # Jinja2's spelling


def test_python_code_marks_strings_safe_only_where_reviewed():
    found = {}
    for py in ROOT.glob("*/**/*.py"):
        rel = py.relative_to(ROOT)
        if rel.parts[0] in {".venv", ".tools", ".data", "tests", "node_modules"}:
            continue
        text = py.read_text()
        count = text.count("mark_safe(") + len(re.findall(r"\bMarkup\(", text))
        if count:
            found[str(rel)] = count
    assert found == REVIEWED_MARK_SAFE


# --- WEB-05: headers ----------------------------------------------------------------------------


def test_security_headers_on_pages(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions


def test_authenticated_responses_are_never_stored(client, alice):
    client.force_login(alice)
    for path in ("/", "/clients/"):
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"]


def test_hsts_and_https_redirect_in_production():
    out = _in_production(
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_SSL_REDIRECT, s.DEBUG, s.SESSION_COOKIE_SECURE)"
    )
    seconds, subdomains, redirect, debug, secure = out.split()
    assert int(seconds) >= 31536000
    assert (subdomains, redirect, debug, secure) == ("True", "True", "False", "True")


def test_hsts_header_is_sent_over_https(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = Client().get("/accounts/login/", secure=True)
    assert (
        response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    )


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secrets():
    env = _production_env()
    del env["AUDIT_HMAC_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY" in result.stderr


# --- WEB-06: nothing left on the device ----------------------------------------------------------


def test_htmx_never_snapshots_pages_into_local_storage(client, alice):
    import json

    client.force_login(alice)
    html = client.get("/").content.decode()
    config = json.loads(
        re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html).group(1)
    )
    assert config["historyCacheSize"] == 0
    assert config["allowEval"] is False
    assert config["selfRequestsOnly"] is True
    assert 'hx-history="false"' in html


def test_no_route_carries_personal_data_in_its_path():
    for route in all_routes():
        assert not re.search(r"<(?:\w+:)?(name|dob|email|birth)\w*>", route.path), route


# --- WEB-04: CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize("route", all_routes(), ids=str)
def test_every_post_without_a_csrf_token_is_refused(route, alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(route.path, {"x": "1"})
    if route.name == "csp_report":
        # CSRF-exempt by design (browsers post reports without a token); it changes no
        # state and takes only report JSON.
        assert response.status_code == 415
        return
    assert response.status_code in (403, 404, 405), (route.path, response.status_code)
    assert response.status_code != 200


# --- AUD-02 / AUD-10 ----------------------------------------------------------------------------


def test_auditing_has_no_off_switch_and_time_is_utc():
    assert not hasattr(settings, "AUDIT_ENABLED") or settings.AUDIT_ENABLED is True
    assert settings.USE_TZ is True


def test_database_tls_options_in_the_url_reach_the_driver():
    import json

    env = _production_env()
    env["DATABASE_URL"] = (
        "postgresql://app:pw@db.example.org:5432/ipnb"
        "?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem&application_name=x"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings;"
            " print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    # Only the TLS options come from the URL (application_name does not); the prepared
    # statements' threshold and their plan mode are the application's own
    # (ipnb_notes.batch.run).
    assert json.loads(result.stdout) == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/db-ca.pem",
        "prepare_threshold": 5,
        "options": "-c plan_cache_mode=force_generic_plan",
    }


# Modules whose SQL text is assembled from constant fragments only (reviewed): the dashboards'
# rollups format WHERE fragments that are string literals of the same module ("= %(t)s" or
# "= ANY(%(t)s)"); every value travels as a parameter.
# rotate_keys interpolates table and column names taken from model metadata (never input).
REVIEWED_SQL_ASSEMBLY = {
    "dashboards/services.py",
    "sessions/management/commands/rotate_keys.py",
}


def test_sql_is_never_built_from_interpolated_strings():
    """WEB-07: application SQL is the ORM or constant text with parameters: no f-string or
    %-formatted SQL handed to execute(), no raw()/extra()/RawSQL built that way (bench/ is a
    developer tool working on its own database)."""
    pattern = re.compile(
        r"(execute|\.raw|RawSQL)\(\s*f[\"']|\.extra\(|execute\(\s*[\"'][^\"']*[\"']\s*%",
        re.S,
    )
    offenders = []
    for py in ROOT.glob("*/**/*.py"):
        rel = py.relative_to(ROOT)
        if (
            rel.parts[0] in {".venv", ".tools", ".data", "tests", "bench"}
            or "migrations" in rel.parts
            or str(rel) in REVIEWED_SQL_ASSEMBLY
        ):
            continue
        for match in pattern.finditer(py.read_text()):
            offenders.append(f"{rel}: {match.group(0)!r}")
    assert offenders == []


def test_the_sql_lint_catches_interpolation():
    pattern_source = 'cursor.execute(\n    f"DELETE FROM t WHERE id = {value}"\n)'
    pattern = re.compile(r"(execute|\.raw|RawSQL)\(\s*f[\"']", re.S)
    assert pattern.search(pattern_source)


def test_csp_violations_are_reported_and_logged_without_page_text(client, caplog):
    import json
    import logging

    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "report-uri /csp-report/" in policy
    caplog.set_level(logging.WARNING, logger="ipnb_notes.csp")
    report = {
        "csp-report": {
            "document-uri": "https://notes.example.org/clients/x/?q=Private+Name",
            "effective-directive": "script-src-elem",
            "blocked-uri": "https://evil.example/steal.js?name=Private",
            "script-sample": "Private Name typed here",
        }
    }
    response = client.post(
        "/csp-report/", json.dumps(report), content_type="application/csp-report"
    )
    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.name == "ipnb_notes.csp"]
    message = record.getMessage()
    assert "script-src-elem" in message and "https://evil.example" in message
    assert "Private" not in message
    assert client.get("/csp-report/").status_code == 405
    assert (
        client.post(
            "/csp-report/", "x" * 20000, content_type="application/json"
        ).status_code
        == 413
    )
    assert (
        client.post(
            "/csp-report/", "not json", content_type="application/json"
        ).status_code
        == 400
    )
