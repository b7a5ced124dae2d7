"""/healthz: database and broker status for monitors, without login and without PHI."""

from __future__ import annotations

import os

import pytest

from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_it_answers_json_without_login(client, settings):
    settings.CELERY_BROKER_URL = None
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "eager",
        "outbox": {"pending": 0, "oldest_seconds": 0},
    }
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_an_unreachable_broker_as_a_failure(client, settings, monkeypatch):
    from ipnb_notes.celery import app

    unreachable = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = unreachable
    # Celery prefers the environment variable to its configuration; set both.
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    monkeypatch.setattr(app.conf, "broker_url", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "ok",
        "broker": "unreachable",
        "outbox": {"pending": 0, "oldest_seconds": 0},
    }


def test_it_reveals_nothing_about_clients_or_users(client, alice):
    make_client(alice, legal_name="Rosalind Quimby")

    body = client.get("/healthz").content.decode()

    assert "Rosalind" not in body
    assert "alice" not in body.lower()
    assert set(client.get("/healthz").json()) == {
        "status",
        "database",
        "broker",
        "outbox",
    }


def test_it_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="CELERY_BROKER_URL is not set (CI sets it)",
)
def test_it_reports_a_reachable_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"
