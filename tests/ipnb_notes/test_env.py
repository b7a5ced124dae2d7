"""Environment helpers fail loudly on a bad value instead of guessing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from ipnb_notes.lib.env import env_bool, env_int, env_list, env_secret, env_str


def test_it_reads_booleans(monkeypatch):
    for text, value in [("true", True), ("YES", True), ("1", True), ("off", False)]:
        monkeypatch.setenv("IPNB_FLAG", text)
        assert env_bool("IPNB_FLAG", not value) is value
    monkeypatch.delenv("IPNB_FLAG")
    assert env_bool("IPNB_FLAG", True) is True


def test_it_refuses_a_bad_boolean(monkeypatch):
    monkeypatch.setenv("IPNB_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="IPNB_FLAG must be true or false"):
        env_bool("IPNB_FLAG", False)


def test_it_refuses_a_bad_integer(monkeypatch):
    monkeypatch.setenv("IPNB_NUMBER", "12h")

    with pytest.raises(ImproperlyConfigured, match="IPNB_NUMBER must be an integer"):
        env_int("IPNB_NUMBER", 1)


def test_it_reads_integers_strings_and_lists(monkeypatch):
    monkeypatch.setenv("IPNB_NUMBER", "42")
    monkeypatch.setenv("IPNB_TEXT", "")
    monkeypatch.setenv("IPNB_LIST", " a.example, b.example ,,")

    assert env_int("IPNB_NUMBER", 1) == 42
    assert env_str("IPNB_TEXT", "fallback") == "fallback"
    assert env_list("IPNB_LIST", []) == ["a.example", "b.example"]
    assert env_list("IPNB_MISSING", ["x"]) == ["x"]


def test_it_reads_a_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n")
    monkeypatch.setenv("IPNB_SECRET", "from-env")
    monkeypatch.setenv("IPNB_SECRET_FILE", str(secret))

    assert env_secret("IPNB_SECRET") == "s3cret-value"


def test_it_refuses_a_missing_secret_file(monkeypatch, tmp_path):
    monkeypatch.setenv("IPNB_SECRET_FILE", str(tmp_path / "absent"))

    with pytest.raises(ImproperlyConfigured, match="IPNB_SECRET_FILE points at"):
        env_secret("IPNB_SECRET")
