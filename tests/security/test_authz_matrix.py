"""The authorization matrix (AUTHZ-01..03): every URL pattern x persona x method has an
expected outcome, and a URL without one fails the suite.

Codes per persona (alice, bob, charlie, ada):
  A  reaches the view (200, a redirect after an action, 400/409 for an empty form, 401 JSON)
  4  404: not visible (the record's existence is not revealed)
  3  403: visible but not this persona's to change
  5  405: method not allowed
  L  sent to sign in (the view is for a signed-out visitor or ends the session)
Anonymous visitors are covered by tests/test_every_url_requires_login.py. Every POST runs
inside a rolled-back transaction, so each request sees the same world.
"""

from __future__ import annotations

import os

import pytest
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse

from tests.factories import mark_recently_authenticated
from tests.security.authz_world import build_world, url_kwargs
from tests.urlwalk import _walk

pytestmark = pytest.mark.django_db
PERSONAS = ("alice", "bob", "charlie", "ada")

# name: (GET, POST), each four codes in PERSONAS order. Reviewed against DESIGN.md section 4:
# account, assignment, indicator, audit and practice pages are the admin's (others 404);
# the clinical record is the caseload's (Alice writes, Bob reads and gets 403 on writes,
# Charlie and Ada 404); co-signature, return and comments are Bob's (Alice 403); process
# notes are Alice's alone (Bob 404 too); emergency access answers 403 to undesignated
# clinicians and 404 to admins (designated clinicians alone break the glass);
# allauth's own pages are self-service for every signed-in user.
EXPECTED: dict[str, tuple[str, str]] = {
    "account_change_password": ("AAAA", "AAAA"),
    "account_confirm_email": ("AAAA", "4444"),
    "account_confirm_login_code": ("AAAA", "AAAA"),
    "account_email": ("AAAA", "AAAA"),
    "account_email_verification_sent": ("AAAA", "5555"),
    "account_inactive": ("AAAA", "5555"),
    "account_login": ("AAAA", "AAAA"),
    "account_logout": ("AAAA", "LLLL"),
    "account_reauthenticate": ("AAAA", "AAAA"),
    # The clinician's own reminders (the daily digest); admins receive none (404).
    "account_reminders": ("AAA4", "AAA4"),
    "account_reset_password": ("AAAA", "AAAA"),
    "account_reset_password_done": ("AAAA", "5555"),
    "account_reset_password_from_key": ("AAAA", "AAAA"),
    "account_reset_password_from_key_done": ("AAAA", "5555"),
    "account_set_password": ("AAAA", "AAAA"),
    "account_signup": ("AAAA", "AAAA"),
    "accounts:invitation_resend": ("5555", "444A"),
    "accounts:supervision_create": ("5555", "444A"),
    "accounts:supervision_end": ("5555", "444A"),
    "accounts:user_break_glass": ("5555", "444A"),
    "accounts:practice_settings": ("444A", "444A"),
    "accounts:user_change_role": ("5555", "444A"),
    "accounts:user_deactivate": ("444A", "444A"),  # GET: the confirmation page
    "accounts:user_detail": ("444A", "5555"),
    "accounts:user_end_sessions": ("5555", "444A"),
    "accounts:user_invite": ("444A", "444A"),
    "accounts:user_list": ("444A", "444A"),  # the search form POSTs
    "accounts:user_mfa_reset": ("5555", "444A"),
    "accounts:user_reactivate": ("5555", "444A"),
    "audit:emergency_access": ("3334", "3334"),
    "audit:event_export": ("444A", "5555"),
    "audit:event_list": ("444A", "444A"),  # the client-name search POSTs
    "csp_report": ("5555", "AAAA"),  # public report sink: POST only, report JSON only
    "clients:assign_detail": ("444A", "5555"),
    "clients:assign_list": ("444A", "444A"),  # the search form POSTs
    "clients:assign_primary": ("5555", "444A"),
    "clients:assignment_end": ("5555", "444A"),
    "clients:caseload_transfer": ("444A", "444A"),
    "clients:client_create": ("AAA4", "AAA4"),
    "clients:client_detail": ("AA44", "5555"),
    "clients:client_edit": ("A344", "A344"),
    "clients:client_list": ("AAA4", "AAA4"),  # the search form POSTs
    "clients:cotherapist_add": ("5555", "444A"),
    "clients:goal_create": ("A344", "A344"),
    "clients:goal_edit": ("A344", "A344"),
    "clients:goal_status": ("5555", "A344"),
    "dashboards:caseload": ("AAA4", "AAA4"),  # the search form POSTs
    "dashboards:caseload_csv": ("AAA4", "5555"),
    "dashboards:index": ("AAAA", "5555"),
    "dashboards:ping": ("AAAA", "5555"),
    "dashboards:practice": ("444A", "5555"),
    "dashboards:practice_csv": ("444A", "5555"),
    "dashboards:supervisee_caseload": ("4A44", "4A44"),  # the search form POSTs
    "dashboards:supervisee_caseload_csv": ("4A44", "5555"),
    "dashboards:supervisee_ruptures": ("4A44", "5555"),
    "dashboards:supervision": ("4A44", "5555"),
    "dashboards:supervision_csv": ("4A44", "5555"),
    "dashboards:trajectory": ("AA44", "5555"),
    "dashboards:trajectory_csv": ("AA44", "5555"),
    # Release of records: the client's therapist releases and records authorizations; the
    # supervisor reads the accounting (403 on acting); a process note is its author's alone.
    "disclosures:authorization_create": ("A344", "A344"),
    "disclosures:authorization_revoke": ("5555", "A344"),
    "disclosures:process_note_release": ("A444", "A444"),
    "disclosures:release": ("A344", "A344"),
    "disclosures:report": ("AA44", "5555"),
    # Outcome measures: the caseload completes, links and acknowledges; Bob reads (403 on
    # writes); the client's own page is public (tests/measures/test_client_link.py).
    "measures:administer_gad7": ("A344", "A344"),
    "measures:administer_phq9": ("A344", "A344"),
    "measures:administration_detail": ("AA44", "5555"),
    "measures:checkin_link_create": ("A344", "A344"),
    "measures:checkin_mirror": ("A344", "A344"),
    "measures:alert_acknowledge": ("AA44", "A344"),
    "measures:link_create": ("A344", "A344"),
    "measures:link_revoke": ("5555", "A344"),
    "measures:link_copy": ("5555", "A344"),
    "measures:schedule": ("A344", "A344"),
    "measures:measures_csv": ("AA44", "5555"),
    "measures:practice_measures": ("444A", "444A"),
    "measures:practice_choose": ("A344", "5555"),
    "measures:administer_practice": ("A344", "A344"),
    "measures:practice_instrument_create": ("444A", "444A"),
    "measures:practice_instrument_active": ("5555", "444A"),
    "measures:practice_score_detail": ("AA44", "5555"),
    "healthz": ("AAAA", "5555"),
    "home": ("AAAA", "5555"),
    "mfa_activate_totp": ("AAAA", "AAAA"),
    "mfa_add_webauthn": ("AAAA", "AAAA"),
    "mfa_authenticate": ("AAAA", "AAAA"),
    "mfa_deactivate_totp": ("AAAA", "AAAA"),
    "mfa_download_recovery_codes": ("4444", "4444"),
    "mfa_edit_webauthn": ("4444", "4444"),
    "mfa_generate_recovery_codes": ("AAAA", "AAAA"),
    "mfa_index": ("AAAA", "5555"),
    "mfa_list_webauthn": ("AAAA", "5555"),
    "mfa_reauthenticate": ("AAAA", "AAAA"),
    "mfa_reauthenticate_webauthn": ("AAAA", "AAAA"),
    "mfa_remove_webauthn": ("4444", "4444"),
    "mfa_view_recovery_codes": ("4444", "5555"),
    "sessions:addendum_create": ("5555", "A344"),
    "sessions:capture": ("AA44", "5555"),
    # A supervision thread: the note's author and her current supervisor take part.
    "sessions:comment_reply": ("5555", "AA44"),
    "sessions:comment_resolve": ("5555", "AA44"),
    "sessions:capture_repair": ("5555", "A344"),
    "sessions:capture_summary": ("AA44", "5555"),
    "sessions:capture_tag": ("5555", "A344"),
    "sessions:capture_undo": ("5555", "A344"),
    "sessions:event_edit": ("A344", "A344"),
    "sessions:indicator_create": ("444A", "444A"),
    "sessions:indicator_edit": ("444A", "444A"),
    "sessions:indicator_list": ("444A", "5555"),
    "sessions:indicator_reinstate": ("5555", "444A"),
    "sessions:indicator_retire": ("5555", "444A"),
    "sessions:note_autosave": ("5555", "3344"),
    "sessions:note_comment": ("5555", "3A44"),
    "sessions:note_cosign": ("5555", "3A44"),
    "sessions:note_detail": ("AA44", "5555"),
    "sessions:note_edit": ("3344", "3344"),
    "sessions:note_last_plan": ("3344", "5555"),
    "sessions:note_return": ("5555", "3A44"),
    "sessions:note_revision": ("AA44", "5555"),
    "sessions:note_sign": ("5555", "3344"),
    "sessions:process_note": ("A444", "A444"),
    "sessions:process_note_autosave": ("5555", "A444"),
    "sessions:ratings": ("AA44", "A344"),
    "sessions:session_create": ("A344", "A344"),
    "sessions:session_detail": ("AA44", "5555"),
    "sessions:session_edit": ("A344", "A344"),
    # Scheduling: the caseload schedules, moves and cancels (Bob reads, 403); the calendar
    # is every user's own (the admin's: every clinician's busy blocks); the feed's settings
    # are a clinician's own (admins 404); the feed itself is public (its token is the key).
    "sessions:series_create": ("A344", "A344"),
    "sessions:session_move": ("A344", "A344"),
    "sessions:session_cancel": ("A344", "A344"),
    "sessions:session_mark": ("5555", "A344"),
    "sessions:calendar": ("AAAA", "5555"),
    "sessions:feed_settings": ("AAA4", "AAA4"),
    "sources": ("AAAA", "5555"),  # where concepts come from: every signed-in user
    "usersessions_list": ("AAAA", "AAAA"),
}

PATTERNS = {r.name: r.path for r in _walk(get_resolver().url_patterns)}
# Visitors without an account: tested in tests/test_every_url_requires_login.py.
PUBLIC_ONLY = {
    "accept_invitation",
    "measure_link_open",
    "measure_link_thanks",
    "sessions:calendar_feed",
}


class _Rollback(Exception):
    pass


def _classify(response) -> str:
    status = response.status_code
    if status >= 500:
        raise AssertionError(f"server error {status}")
    if status == 404:
        return "4"
    if status == 403:
        return "3"
    if status == 405:
        return "5"
    if status in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("account_login")):
            return "L"
    return "A"


def _call(browser, method: str, url: str):
    try:
        with transaction.atomic():
            raise _Rollback(getattr(browser, method)(url, {}))
    except _Rollback as done:
        return done.args[0]


def _outcomes(name, personas) -> tuple[str, str]:
    world = build_world(*(personas[p] for p in PERSONAS))
    pattern = PATTERNS[name]
    url = reverse(name, kwargs=url_kwargs(name, pattern, world) or None)
    results = {"get": "", "post": ""}
    for persona in PERSONAS:
        browser = Client()
        browser.force_login(personas[persona])
        mark_recently_authenticated(browser, personas[persona])
        for method in ("get", "post"):
            results[method] += _classify(_call(browser, method, url))
    return results["get"], results["post"]


NAMES = sorted(n for n in PATTERNS if n not in PUBLIC_ONLY)


def test_every_url_name_has_a_decision():
    missing = [n for n in NAMES if n not in EXPECTED]
    stale = [n for n in EXPECTED if n not in PATTERNS]
    assert not missing, f"URL names with no authorization decision: {missing}"
    assert not stale, f"decisions for URL names that no longer exist: {stale}"


@pytest.mark.parametrize("name", NAMES)
def test_the_outcome_matches_the_decision(name, personas):
    got = _outcomes(name, personas)
    if os.environ.get("AUTHZ_DISCOVER"):
        print(f'DISCOVER    "{name}": ("{got[0]}", "{got[1]}"),')
        return
    assert name in EXPECTED, f"{name} has no authorization decision"
    assert got == EXPECTED[name], f"{name}: GET/POST for alice, bob, charlie, ada"


@pytest.mark.parametrize(
    "name", [n for n in NAMES if not n.startswith(("account_", "mfa_", "usersessions"))]
)
def test_put_and_delete_are_refused(name, personas):
    world = build_world(*(personas[p] for p in PERSONAS))
    url = reverse(name, kwargs=url_kwargs(name, PATTERNS[name], world) or None)
    browser = Client()
    browser.force_login(personas["alice"])
    for method in ("put", "delete", "patch"):
        response = _call(browser, method, url)
        assert response.status_code in (404, 405), (method, response.status_code)
