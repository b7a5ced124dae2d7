"""The supervision dashboard keeps each supervisee's weekly card once printed
(dashboards.views._weekly_cards): a card is a function of the figures it prints alone, so a
card kept for one supervisor's page never shows on another page unless that page has exactly
the same figures to print, and a change of figures prints a new card."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from dashboards import reports, services
from dashboards.views import _weekly_cards
from tests.dashboards.helpers import session, weeks_ago
from tests.dashboards.test_page_partials import HOSTILE, assert_inert
from tests.factories import (
    make_client,
    make_supervision,
    make_user,
    mark_recently_authenticated,
)


def _person(name: str, sessions: str = "3") -> dict:
    return {
        "full_name": name,
        "weeks": [
            {"label": "Nov 30, 2026", "cells": [sessions, "12.5", "–", "50%"]},
            {"label": "Dec 7, 2026", "cells": ["0", "–", "–", "–"]},
        ],
        "multiples": [("Sessions", reports.sparkline_scaled([1, None, 3]))],
    }


def _weekly(html: str) -> str:
    return html[html.index('id="h-weekly"') :]


def test_a_card_prints_only_the_figures_it_is_kept_for():
    first, same, other = _weekly_cards(
        [_person("Sam Rivers"), _person("Sam Rivers"), _person("Kim Park")]
    )
    assert first is same  # the same figures: the card printed once
    assert "Kim Park" in other and "Sam Rivers" not in other
    [changed] = _weekly_cards([_person("Sam Rivers", sessions="4")])
    assert changed != first
    assert '<td class="num">4</td>' in changed
    assert '<td class="num">3</td>' not in changed


@pytest.mark.parametrize("payload", HOSTILE)
def test_a_kept_card_stays_escaped(payload):
    for _ in range(2):  # printed, then read back from the cache
        [card] = _weekly_cards([_person(payload, sessions=payload)])
        assert_inert(str(card), payload, times=4)


def test_a_supervisors_page_shows_only_their_own_supervisees_cards(client, alice, bob):
    dana = make_user(
        email="dana@example.org", full_name="Dana Other", role=User.Role.THERAPIST
    )
    erin = make_user(
        email="erin@example.org", full_name="Erin Supervisor", role=User.Role.SUPERVISOR
    )
    make_supervision(erin, dana)
    for therapist in (alice, dana):
        record = make_client(therapist)
        for k in range(3):
            session(record, therapist, weeks_ago(k + 0.5))
    services.rollup_refresh_all()
    pages = {}
    for supervisor in (bob, erin, bob):
        client.force_login(supervisor)
        mark_recently_authenticated(client, supervisor)
        html = client.get(reverse("dashboards:supervision")).content.decode()
        pages.setdefault(supervisor.pk, []).append(_weekly(html))
    [bobs, bobs_again], [erins] = pages[bob.pk], pages[erin.pk]
    assert bobs == bobs_again
    assert "Weekly figures for Alice Therapist" in bobs and "Dana Other" not in bobs
    assert "Weekly figures for Dana Other" in erins and "Alice Therapist" not in erins
