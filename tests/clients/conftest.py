"""Clients of the personas: Alice's client (Bob reads it as her supervisor, Charlie never sees it)."""

from __future__ import annotations

import pytest

from tests.factories import make_client, make_goal


@pytest.fixture
def alices_client(alice):
    return make_client(
        alice,
        legal_name="Rosalind Marsh",
        preferred_name="Roz",
        pronouns="she/her",
        presenting_concerns="Sleep is short since the move; feels on edge at work.",
        diagnoses=[{"code": "F41.1", "label": "Generalized anxiety disorder"}],
    )


@pytest.fixture
def alices_goal(alice, alices_client):
    return make_goal(alices_client, alice)
