"""The post-session check-in: the client answers through a one-time link, the therapist
answers its mirror, and an answer of tension left unresolved meets the therapist's rupture
tags on the session's timeline. Attacked with real requests on real PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from measures import instruments, services
from measures.models import MeasureLink, SessionCheckIn
from sessions.capture import services as capture_services
from tests.factories import make_session
from tests.measures.conftest import signed_in

pytestmark = pytest.mark.django_db
QUESTIONNAIRE = "/m/questionnaire/"
UNRESOLVED = "Client's check-in: felt tension, not resolved (intensity 4/5)"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def session(alice, robin):
    session = make_session(robin, alice)
    capture_services.event_create(
        session=session, tag="rupture-withdrawal", minute=10, by=alice
    )
    return session


def _session_page(user, session) -> str:
    response = signed_in(user).get(
        reverse("sessions:session_detail", args=[session.code])
    )
    assert response.status_code == 200
    # The text as read on the page: the timeline's partials (Jinja2) write an apostrophe as
    # &#39;, Django's templates as '; either reads the same.
    return html.unescape(response.content.decode())


def _client_answers(alice, session, data: dict) -> Client:
    response = signed_in(alice).post(
        reverse("measures:checkin_link_create", args=[session.code]), {"email": ""}
    )
    assert response.status_code == 200
    token = response.content.decode().split("/m/")[1].split("/")[0]
    browser = Client()
    assert browser.get(f"/m/{token}/")["Location"] == QUESTIONNAIRE
    page = browser.get(QUESTIONNAIRE)
    assert "Non-standardised, defined by this product" in page.content.decode()
    # As a word: a random CSRF token may hold the three letters.
    assert not re.search(r"\bPSQ\b", page.content.decode())
    done = browser.post(QUESTIONNAIRE, data)
    assert done.status_code == 302, done.content.decode()
    return browser


def test_the_registry_declares_both_check_ins_completely_and_in_its_own_words():
    assert {c.respondent for c in instruments.CHECKINS.values()} == {
        "CLIENT",
        "THERAPIST",
    }
    for checkin in instruments.CHECKINS.values():
        assert instruments.checkin_problems(checkin) == []
    claims = instruments.CheckIn(**{**vars(instruments.CHECKIN_CLIENT), "name": "PSQ"})
    assert instruments.checkin_problems(claims)


def test_the_client_completes_the_check_in_by_link_once(alice, robin, session):
    browser = _client_answers(
        alice,
        session,
        {"tension": "yes", "intensity": "4", "resolution": "2", "safety": "3"},
    )
    answer = SessionCheckIn.objects.get()
    assert answer.session == session and answer.respondent == "CLIENT"
    assert answer.responses == {
        "tension": True,
        "intensity": 4,
        "resolution": 2,
        "safety": 3,
    }
    link = MeasureLink.objects.get()
    assert link.session == session and link.used_at is not None
    # The same browser cannot answer twice: the link is spent.
    again = browser.post(QUESTIONNAIRE, {"tension": "no", "safety": "5"}, follow=False)
    assert again.status_code == 404 and SessionCheckIn.objects.count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"measure_link.create", "checkin.complete_by_link"} <= actions


def test_a_yes_without_strength_or_resolution_is_refused_beside_the_fields(
    alice, robin, session
):
    _, token = services.link_create(
        client=robin,
        instrument=instruments.CHECKIN_CLIENT,
        by=alice,
        session=session,
    )
    browser = Client()
    browser.get(f"/m/{token}/")
    response = browser.post(QUESTIONNAIRE, {"tension": "yes", "safety": "9"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_intensity_error"' in html and 'id="id_resolution_error"' in html
    assert "Choose a number from 1 to 5." in html
    # What was typed is kept.
    assert re.search(r'<input[^>]*value="yes"[^>]*checked', html)
    assert not SessionCheckIn.objects.exists()


def test_the_therapist_answers_the_mirror_from_the_session_page(alice, session):
    url = reverse("measures:checkin_mirror", args=[session.code])
    assert url in _session_page(alice, session)
    browser = signed_in(alice)
    assert "did you notice" in browser.get(url).content.decode().lower()
    response = browser.post(
        url, {"tension": "yes", "intensity": "3", "resolution": "4", "safety": "4"}
    )
    assert response.status_code == 302
    answer = SessionCheckIn.objects.get()
    assert answer.respondent == "THERAPIST" and answer.recorded_by == alice
    assert "Therapist's check-in: noticed tension, resolved (intensity 3/5)" in (
        _session_page(alice, session)
    )
    assert AuditEvent.objects.filter(action="checkin.record").exists()
    assert AuditEvent.objects.filter(action="checkin.mirror_view").exists()


def test_the_timeline_shows_the_client_line_only_for_tension_left_unresolved(
    alice, robin, session
):
    page = _session_page(alice, session)
    assert "Withdrawal" in page and "check-in:" not in page
    for resolved in (
        {"tension": "no", "safety": "5"},
        {"tension": "yes", "intensity": "4", "resolution": "3", "safety": "4"},
    ):
        _client_answers(alice, session, resolved)
    assert SessionCheckIn.objects.count() == 2
    assert "Client's check-in" not in _session_page(alice, session)

    _client_answers(
        alice,
        session,
        {"tension": "yes", "intensity": "4", "resolution": "2", "safety": "2"},
    )
    page = _session_page(alice, session)
    # Inside the timeline's card, beside the rupture tag.
    timeline = page.split('class="card capture-timeline"')[1].split("</section>")[0]
    assert "Withdrawal" in timeline and UNRESOLVED in timeline
    assert page.count("Client's check-in") == 1
    # Another session of the same client does not show it.
    other = make_session(robin, alice)
    assert "check-in:" not in _session_page(alice, other)


def test_the_supervisor_reads_the_check_in_but_cannot_answer_or_send(
    alice, bob, robin, session
):
    services.checkin_record(
        session=session,
        checkin=instruments.CHECKIN_THERAPIST,
        responses={"tension": True, "intensity": 2, "resolution": 1, "safety": 3},
        by=alice,
    )
    page = _session_page(bob, session)
    assert "Therapist's check-in: noticed tension, not resolved" in page
    assert reverse("measures:checkin_mirror", args=[session.code]) not in page
    browser = signed_in(bob)
    for name in ("checkin_mirror", "checkin_link_create"):
        url = reverse(f"measures:{name}", args=[session.code])
        assert browser.get(url).status_code == 403
        assert browser.post(url, {"tension": "no", "safety": "5"}).status_code == 403
    assert SessionCheckIn.objects.count() == 1 and not MeasureLink.objects.exists()


def test_the_check_in_is_not_shown_to_an_admin_nor_an_unrelated_therapist(
    alice, ada, charlie, session
):
    services.checkin_record(
        session=session,
        checkin=instruments.CHECKIN_THERAPIST,
        responses={"tension": True, "intensity": 5, "resolution": 1, "safety": 1},
        by=alice,
    )
    for user in (ada, charlie):
        browser = signed_in(user)
        for url in (
            reverse("sessions:session_detail", args=[session.code]),
            reverse("measures:checkin_mirror", args=[session.code]),
            reverse("measures:checkin_link_create", args=[session.code]),
        ):
            response = browser.get(url)
            assert response.status_code == 404
            assert "check-in:" not in response.content.decode()


def test_a_check_in_link_cannot_be_created_without_its_session(alice, robin):
    with pytest.raises(ValueError):
        services.link_create(
            client=robin, instrument=instruments.CHECKIN_CLIENT, by=alice
        )
