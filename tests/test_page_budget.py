"""Every page a clinician or an admin lives in (the pages bench/load.py measures) answers in at
most PAGE_BUDGET SQL round trips, and the same number on a small and on a larger practice.

The world: Alice (therapist, co-signature required) with clients in every state, sessions
with events and ratings, notes drafted, awaiting co-signature, signed and returned; Bob her
supervisor; Ada the practice admin. `grow` then adds clients, sessions, notes, events and a
second supervisee, and every page must cost exactly what it cost before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from measures import instruments
from measures import services as measure_services
from sessions.capture import services as capture_services
from sessions.models import IntegrationIndicator, IntegrationRating
from sessions.notes import services as services
from tests.factories import (
    make_client,
    make_goal,
    make_note,
    make_session,
    make_supervision,
    make_user,
    mark_recently_authenticated,
)
from tests.sessions.conftest import sign

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 10

# The audit append of a read is one INSERT. Until the trail's chain is built after commit, an
# append also takes the chain lock and reads the chain head inside a savepoint: those
# statements are counted with their INSERT as one round trip of the page.
_CHAIN_APPEND = ("SAVEPOINT", "RELEASE SAVEPOINT", "SELECT PG_ADVISORY_XACT_LOCK")


def _round_trips(queries) -> int:
    n = 0
    for q in queries:
        sql = q["sql"].lstrip().upper()
        if sql.startswith(_CHAIN_APPEND):
            continue
        if sql.startswith('SELECT "AUDIT_AUDITEVENT"."SEQ"'):
            continue
        n += 1
    return n


def _client_with_history(alice, bob, *, n_sessions: int):
    now = timezone.now()
    client = make_client(alice)
    make_goal(client, alice)
    indicator = IntegrationIndicator.objects.order_by("pk").first()
    last = None
    for i in range(n_sessions):
        session = make_session(
            client, alice, starts_at=now - timedelta(days=7 * (i + 1), hours=1)
        )
        capture_services.event_create(session=session, tag="match", minute=5, by=alice)
        capture_services.event_create(
            session=session, tag="rupture-withdrawal", minute=10, by=alice
        )
        capture_services.event_create(
            session=session, tag="within", minute=12, by=alice
        )
        if indicator is not None:
            IntegrationRating.objects.create(
                session=session, indicator=indicator, value=3, rated_by=alice
            )
        if i % 2 == 0:  # PHQ-9 and GAD-7 every other session (trajectory, client page)
            for spec in (instruments.PHQ9, instruments.GAD7):
                measure_services.administration_record(
                    client=client,
                    instrument=spec,
                    answers=[1 + i % 2] * (len(spec.items) - 1) + [0],
                    by=alice,
                    session=session,
                )
        note = make_note(session)
        if i % 3 == 0:
            sign(note, alice)
        elif i % 3 == 1:
            services.note_cosign(note=sign(note, alice), by=bob)
        last = session
    make_session(client, alice, starts_at=now + timedelta(days=1), status="SCHEDULED")
    return client, last


def _world(alice, bob):
    client, _ = _client_with_history(alice, bob, n_sessions=3)
    session = make_session(client, alice, starts_at=timezone.now() - timedelta(hours=3))
    capture_services.event_create(session=session, tag="match", minute=5, by=alice)
    capture_services.event_create(
        session=session, tag="rupture-withdrawal", minute=8, by=alice
    )
    draft_session = make_session(
        client, alice, starts_at=timezone.now() - timedelta(days=2)
    )
    make_note(draft_session)
    awaiting = sign(
        make_note(
            make_session(client, alice, starts_at=timezone.now() - timedelta(days=4))
        ),
        alice,
    )
    returned = sign(
        make_note(
            make_session(client, alice, starts_at=timezone.now() - timedelta(days=5))
        ),
        alice,
    )
    services.note_return(note=returned, by=bob, comment="More detail, please.")
    return {
        "client": client,
        "session": session,
        "draft_session": draft_session,
        "awaiting": awaiting,
    }


def grow(alice, bob, w):
    for _ in range(3):
        _client_with_history(alice, bob, n_sessions=4)
    for i in range(4):
        session = make_session(
            w["client"], alice, starts_at=timezone.now() - timedelta(days=60 + 7 * i)
        )
        services.note_cosign(note=sign(make_note(session), alice), by=bob)
    for minute in range(20, 26):
        capture_services.event_create(
            session=w["session"], tag="hyper", minute=minute, by=alice
        )
    services.addendum_add(
        note=services.note_cosign(note=w["awaiting"], by=bob), by=alice, text="Later."
    )
    services.comment_add(note=w["awaiting"], by=bob, text="Seen.")
    dana = make_user(email="dana@example.org", full_name="Dana Therapist")
    make_supervision(bob, dana, requires_cosignature=True)
    other = make_client(dana)
    sign(make_note(make_session(other, dana)), dana)
    make_user(email="eve@example.org", full_name="Eve Therapist")


def pages(alice, bob, ada, w) -> dict[str, tuple]:
    """The pages bench/load.py measures, with who opens them."""
    client, session = w["client"], w["session"]
    year, week, _ = (timezone.localdate() - timedelta(days=7)).isocalendar()
    last_week = f"{year}-W{week:02d}"
    return {
        "ping (minimal)": (alice, reverse("dashboards:ping")),
        "home": (alice, reverse("home")),
        "caseload list": (alice, reverse("clients:client_list")),
        "client page": (alice, reverse("clients:client_detail", args=[client.code])),
        "session page": (
            alice,
            reverse("sessions:session_detail", args=[session.code]),
        ),
        "note editor": (
            alice,
            reverse("sessions:note_edit", args=[w["draft_session"].code]),
        ),
        "capture panel": (alice, reverse("sessions:capture", args=[session.code])),
        "co-signature queue (supervisor home)": (bob, reverse("home")),
        "note to co-sign": (bob, w["awaiting"].get_absolute_url()),
        "user list (admin)": (ada, reverse("accounts:user_list")),
        "dashboard: caseload": (alice, reverse("dashboards:caseload")),
        "dashboard: trajectory": (
            alice,
            reverse("dashboards:trajectory", args=[client.code]),
        ),
        "dashboard: supervision": (bob, reverse("dashboards:supervision")),
        "dashboard: supervisee caseload": (
            bob,
            reverse("dashboards:supervisee_caseload", args=[alice.code]),
        ),
        "dashboard: supervisee's unrepaired ruptures": (
            bob,
            reverse("dashboards:supervisee_ruptures", args=[alice.code]),
        ),
        "dashboard: trajectory (supervisor)": (
            bob,
            reverse("dashboards:trajectory", args=[client.code]),
        ),
        "dashboard: practice": (ada, reverse("dashboards:practice")),
        # Last week's calendar: the week of the history's most recent sessions.
        "calendar (week)": (alice, f"{reverse('sessions:calendar')}?week={last_week}"),
        "practice week (admin)": (
            ada,
            f"{reverse('sessions:calendar')}?week={last_week}",
        ),
    }


def _counts(browsers, page_map) -> dict[str, int]:
    counts = {}
    for name, (user, url) in page_map.items():
        browser = browsers[user.pk]
        browser.get(url)  # the first request may start the session's clocks
        with CaptureQueriesContext(connection) as ctx:
            response = browser.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = _round_trips(ctx.captured_queries)
    return counts


def test_every_page_stays_within_the_budget_whatever_the_data(alice, bob, ada):
    from dashboards.services import rollup_refresh_all

    w = _world(alice, bob)
    rollup_refresh_all()  # the dashboards read rollups (measures included)
    browsers = {}
    for user in (alice, bob, ada):
        browser = Client()
        browser.force_login(user)
        mark_recently_authenticated(browser, user)
        browsers[user.pk] = browser
    small = _counts(browsers, pages(alice, bob, ada, w))
    over = {name: n for name, n in small.items() if n > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} round trips: {over}"

    grow(alice, bob, w)
    rollup_refresh_all()
    big = _counts(browsers, pages(alice, bob, ada, w))
    grew = {
        name: (small[name], big[name]) for name in small if big[name] != small[name]
    }
    assert not grew, f"round trips grew with the data: {grew}"


def test_the_budget_counts_a_query_per_row(alice, bob, ada, monkeypatch):
    """The measure itself catches a page that reads once per row shown."""
    from clients import queries

    w = _world(alice, bob)
    page_map = {"client page": pages(alice, bob, ada, w)["client page"]}
    browser = Client()
    browser.force_login(alice)
    browsers = {alice.pk: browser}
    before = _counts(browsers, page_map)["client page"]
    real = queries.client_page

    def per_row(client, **kwargs):
        context = real(client, **kwargs)
        for _session in context["timeline"]:
            client.goals.count()  # a query per session shown
        return context

    monkeypatch.setattr(queries, "client_page", per_row)
    grow(alice, bob, w)
    assert _counts(browsers, page_map)["client page"] > before
