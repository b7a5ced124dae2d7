from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_client


@pytest.fixture
def robin(alice):
    """Alice's client, who goes by Robin."""
    return make_client(
        alice, legal_name="Roberta Quill-Hargreave", preferred_name="Robin"
    )


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def answers_post(values: list[int | None], **extra) -> dict:
    data = {f"item_{n}": str(v) for n, v in enumerate(values, start=1) if v is not None}
    data.update(extra)
    return data
