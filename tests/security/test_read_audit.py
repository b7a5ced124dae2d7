"""Every page that shows client data records exactly one read event per request (AUD-01),
naming the client whose record it shows, or the clients a list shows, for each persona allowed
to open it; htmx partials and exports included. The pages are found by walking the URL table:
every URL a persona may GET is classified below, so a new page that shows client data must be
listed in READS and record its read with `audit.read`, or this module fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from clients.models import EmergencyAccess
from tests.factories import (
    make_note,
    make_session,
    make_user,
    mark_recently_authenticated,
)
from tests.security.authz_world import build_world, url_kwargs
from tests.security.test_authz_matrix import EXPECTED, PATTERNS, PERSONAS

pytestmark = pytest.mark.django_db

# Pages that show client data. "client": one client's record (the event's client code names
# it). "list": a list of clients (the event lists the codes of the clients shown).
READS = {
    "clients:client_detail": "client",
    "clients:client_edit": "client",
    "clients:goal_create": "client",
    "clients:goal_edit": "client",
    "clients:assign_detail": "client",
    "sessions:session_create": "client",
    "sessions:session_detail": "client",
    "sessions:session_edit": "client",
    "sessions:series_create": "client",
    "sessions:session_move": "client",
    "sessions:session_cancel": "client",
    "sessions:calendar": "list",
    "sessions:note_detail": "client",
    "sessions:note_edit": "client",
    "sessions:note_last_plan": "client",
    "sessions:note_revision": "client",
    "sessions:process_note": "client",
    "sessions:capture": "client",
    "sessions:capture_summary": "client",
    "sessions:event_edit": "client",
    "sessions:ratings": "client",
    "dashboards:trajectory": "client",
    "dashboards:trajectory_csv": "client",
    "disclosures:report": "client",
    "disclosures:release": "client",
    "disclosures:authorization_create": "client",
    "disclosures:process_note_release": "client",
    "measures:administer_gad7": "client",
    "measures:administer_phq9": "client",
    "measures:administration_detail": "client",
    "measures:alert_acknowledge": "client",
    "measures:link_create": "client",
    "measures:checkin_link_create": "client",
    "measures:checkin_mirror": "client",
    "measures:schedule": "client",
    "measures:measures_csv": "client",
    "measures:practice_choose": "client",
    "measures:administer_practice": "client",
    "measures:practice_score_detail": "client",
    "home": "list",
    "clients:client_list": "list",
    "clients:assign_list": "list",
    "clients:caseload_transfer": "list",
    "dashboards:caseload": "list",
    "dashboards:caseload_csv": "list",
    "dashboards:supervisee_caseload": "list",
    "dashboards:supervisee_caseload_csv": "list",
    "dashboards:supervisee_ruptures": "list",
}

# Pages a persona may GET that show no client data, and why.
NO_CLIENT_DATA = {
    "accounts:user_detail": "a user's role, supervision links and second factor",
    "accounts:user_invite": "the invitation form",
    "accounts:user_deactivate": "the confirmation: how many clients, never which",
    "accounts:user_list": "the practice's users",
    "accounts:practice_settings": "the practice's settings (when a note is late)",
    "measures:practice_measures": "the practice's measure settings and instruments",
    "measures:practice_instrument_create": "the form defining a practice's instrument",
    # Its POSTed client-name search shows names: audited as a read, audit.report_client_search
    # (tests/audit/test_client_name_search.py).
    "audit:event_list": "the trail itself (codes only), audited as audit.report_view",
    "audit:event_export": "the trail itself (codes only), audited as audit.report_export",
    "clients:client_create": "an empty form",
    "dashboards:index": "a redirect to the user's dashboard",
    "dashboards:ping": "the benchmark's minimal page",
    "dashboards:practice": "practice-wide counts",
    "dashboards:practice_csv": "practice-wide counts",
    "dashboards:supervision": "counts per supervisee, no client named",
    "dashboards:supervision_csv": "counts per supervisee, no client named",
    "healthz": "database and broker status",
    "sessions:indicator_list": "the practice's indicator set",
    "sources": "where concepts and scales come from",
    "sessions:indicator_create": "the indicator form",
    "sessions:indicator_edit": "the indicator form",
    "usersessions_list": "the user's own sign-ins",
    "sessions:feed_settings": "the user's own calendar feed settings",
}
# allauth's and the second factor's self-service pages: the user's own account.
SELF_SERVICE_PREFIXES = ("account_", "mfa_")
# Persona by persona: the admin's home shows counts of users, no client; the admin's calendar
# shows every clinician's busy times and statuses, no client.
NOT_A_READ_FOR = {("home", "ada"), ("sessions:calendar", "ada")}


def _get_pages() -> list[str]:
    return sorted(name for name, (get, _post) in EXPECTED.items() if "A" in get)


def test_every_page_a_persona_may_get_is_classified():
    """A new page a persona may open must be declared a read of client data (and record it)
    or say why it shows none."""
    unclassified = [
        name
        for name in _get_pages()
        if name not in READS
        and name not in NO_CLIENT_DATA
        and not name.startswith(SELF_SERVICE_PREFIXES)
    ]
    assert not unclassified, f"pages neither audited reads nor exempt: {unclassified}"
    assert not set(READS) & set(NO_CLIENT_DATA)


def _extras(world) -> dict[str, list[tuple[str, str]]]:
    """Pages the shared world cannot open as a read (its note awaits co-signature): a draft
    in the editor, the Start the note pages and the previous plan, with Alice."""
    draft_session = make_session(
        world.client, world.alice, starts_at=timezone.now() - timedelta(days=2)
    )
    make_note(draft_session)
    empty = make_session(
        world.client, world.alice, starts_at=timezone.now() - timedelta(days=3)
    )
    edit = "sessions:note_edit"
    return {
        edit: [("alice", reverse(edit, args=[draft_session.code]))],
        "sessions:note_last_plan": [
            ("alice", reverse("sessions:note_last_plan", args=[draft_session.code]))
        ],
        "sessions:process_note": [
            ("alice", reverse("sessions:process_note", args=[empty.code]))
        ],
        # The Start the note page of a session without a note.
        "sessions:note_edit#start": [("alice", reverse(edit, args=[empty.code]))],
    }


def _requests(name, world, personas):
    """(persona, url) pairs: every persona the matrix lets GET the page, plus the extras."""
    pairs = []
    if name in EXPECTED:
        get = EXPECTED[name][0]
        url = reverse(name, kwargs=url_kwargs(name, PATTERNS[name], world) or None)
        pairs += [(p, url) for i, p in enumerate(PERSONAS) if get[i] == "A"]
    extras = _extras(world)
    pairs += extras.get(name, []) + extras.get(f"{name}#start", [])
    return [(p, url) for p, url in pairs if (name, p) not in NOT_A_READ_FOR]


def _events_of(user, before):
    return list(AuditEvent.objects.filter(seq__gt=before, actor=user).order_by("seq"))


def _last_seq() -> int:
    return (
        AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    )


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    mark_recently_authenticated(browser, user)
    return browser


@pytest.mark.parametrize("name", sorted(READS))
def test_each_read_records_one_event_naming_the_client_or_the_clients_shown(
    name, personas
):
    world = build_world(*(personas[p] for p in PERSONAS))
    pairs = _requests(name, world, personas)
    assert pairs, f"nobody reads {name}: the test would prove nothing"
    code = str(world.client.code)
    names = {world.client.legal_name, world.client.display_name}
    for persona, url in pairs:
        user = personas[persona]
        browser = _browser(user)
        # The full page and its htmx partial (timeline, rows, chart body, plain text).
        for headers in ({}, {"HX-Request": "true"}):
            before = _last_seq()
            response = browser.get(url, headers=headers)
            where = (name, persona, bool(headers))
            assert response.status_code == 200, (*where, response.status_code)
            events = _events_of(user, before)
            assert len(events) == 1, (
                f"{where}: {len(events)} audit events, not one read: "
                f"{[e.action for e in events]}"
            )
            (event,) = events
            if READS[name] == "client":
                assert str(event.client_code) == code, (where, event.action)
            else:
                assert "clients" in event.changes, (where, event.action)
                shown = any(n in response.content.decode() for n in names)
                assert (code in event.changes["clients"]) == shown, (
                    f"{where}: the client is {'shown' if shown else 'not shown'} but "
                    f"{'not ' if shown else ''}recorded"
                )


READ_ONLY_PAGES = [
    "clients:client_detail",
    "sessions:session_detail",
    "sessions:note_detail",
    "sessions:capture",
    "sessions:capture_summary",
    "sessions:ratings",
    "dashboards:trajectory",
    "dashboards:trajectory_csv",
    "disclosures:report",
    "measures:administration_detail",
    "measures:alert_acknowledge",
]


def test_every_page_read_through_an_emergency_grant_names_the_grant(personas):
    """The session, note, capture and trajectory pages of a client opened in an emergency
    record the grant too, not only the client page."""
    world = build_world(*(personas[p] for p in PERSONAS))
    dana = make_user(email="dana.oncall@example.org", can_break_glass=True)
    grant = EmergencyAccess.objects.create(
        user=dana,
        client=world.client,
        reason="Crisis call: the on-call clinician needs the safety plan.",
        granted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=60),
    )
    browser = _browser(dana)
    for name in READ_ONLY_PAGES:
        url = reverse(name, kwargs=url_kwargs(name, PATTERNS[name], world) or None)
        before = _last_seq()
        response = browser.get(url)
        assert response.status_code == 200, (name, response.status_code)
        events = _events_of(dana, before)
        grants = [e for e in events if e.action == "emergency_access.read"]
        reads = [e for e in events if e.action != "emergency_access.read"]
        assert len(reads) == 1, (name, [e.action for e in events])
        assert len(grants) == 1, f"{name} read through the grant without naming it"
        assert grants[0].target_code == str(grant.code)
        assert grants[0].client_code == world.client.code


def test_a_read_of_an_own_client_names_no_grant(personas, alice):
    """A designated clinician reading a client of their own caseload makes an ordinary read,
    even while a grant on that client is open."""
    world = build_world(*(personas[p] for p in PERSONAS))
    alice.can_break_glass = True
    alice.save(update_fields=["can_break_glass"])
    EmergencyAccess.objects.create(
        user=alice,
        client=world.client,
        reason="Opened by mistake on a client of her own caseload.",
        granted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=60),
    )
    browser = _browser(alice)
    before = _last_seq()
    url = reverse("clients:client_detail", args=[world.client.code])
    assert browser.get(url).status_code == 200
    assert [e.action for e in _events_of(alice, before)] == ["client.view"]
