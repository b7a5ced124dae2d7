"""/healthz: database and broker status for monitors, without login and without PHI."""

from __future__ import annotations

import pytest

from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_it_answers_json_without_login(client, settings):
    settings.CELERY_BROKER_URL = None
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_an_unreachable_broker_as_a_failure(client, settings):
    from ipnb_notes.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    original = app.conf.broker_url
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "ok",
        "broker": "unreachable",
    }


def test_it_reveals_nothing_about_clients_or_users(client, alice):
    make_client(alice, legal_name="Rosalind Quimby")

    body = client.get("/healthz").content.decode()

    assert "Rosalind" not in body
    assert "alice" not in body.lower()
    assert set(client.get("/healthz").json()) == {"status", "database", "broker"}


def test_it_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
