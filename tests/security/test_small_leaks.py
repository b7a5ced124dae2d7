"""Smaller leaks, each attacked and closed:

- loading the previous plan into a note is a read of the record, and is audited;
- a release of a psychotherapy note is listed in the accounting of disclosures to its
  author alone (supervisors and co-therapists see the rest of the accounting);
- a new-client idempotency key belongs to the user who sent it: the same key from another
  user creates their own client and never hands back the first user's;
- the public CSP report endpoint cannot write forged log lines, and one address cannot
  flood the log;
- behind the documented TLS proxy (TRUSTED_PROXY_COUNT=1) the audit trail records the
  client's address, not the proxy's, and failed sign-ins from one address lock only that
  address out of the account, never the clinician signing in from elsewhere.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from clients.models import Client as ClinicalClient
from sessions.models import ProgressNote
from sessions.notes import services as note_services
from tests.factories import (
    PASSWORD,
    make_assignment,
    make_client,
    make_note,
    make_session,
    make_user,
    mark_recently_authenticated,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
PROXY = "10.0.0.2"  # the TLS proxy in front of `web`: every request's socket address


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    mark_recently_authenticated(browser, user)
    return browser


# --- Loading the last plan is a read of the record -------------------------------------------


def test_loading_the_last_plan_is_audited_as_a_read(alice, bob):
    client = make_client(alice)
    earlier = make_session(client, alice, starts_at=datetime(2026, 3, 2, 10, tzinfo=NY))
    previous = make_note(earlier, plan="Grounding practice before bed.")
    note_services.note_sign(
        note=ProgressNote.objects.select_related("session", "client", "author").get(
            pk=previous.pk
        ),
        by=alice,
    )
    session = make_session(client, alice, starts_at=datetime(2026, 3, 9, 10, tzinfo=NY))
    browser = _browser(alice)
    edit = reverse("sessions:note_edit", args=[session.code])
    browser.post(edit, {"action": "start"})
    note = ProgressNote.objects.get(session=session)
    reads = AuditEvent.objects.filter(action="note.last_plan_view")
    assert not reads.exists()

    response = browser.get(reverse("sessions:note_last_plan", args=[session.code]))
    assert response.json() == {"plan": "Grounding practice before bed."}
    read = reads.get()
    assert read.actor == alice
    assert read.client_code == client.code
    assert read.target_code == str(note.code)

    # Without JavaScript the button posts the form back with the plan in place: audited too.
    page = browser.post(
        edit, {"version": note.version, "format": "SOAP", "action": "load_last"}
    )
    assert "Grounding practice before bed." in page.content.decode()
    assert reads.count() == 2


# --- Psychotherapy-note releases in the accounting of disclosures ----------------------------


def _disclosure(client, user, kind, digest):
    from disclosures.models import Disclosure, Purpose

    return Disclosure.objects.create(
        client=client,
        user=user,
        recipient="Dr. Rowan Vale",
        purpose=Purpose.CONTINUITY_OF_CARE,
        description="Requested by the client",
        kind=kind,
        sha256=digest * 64,
        byte_size=1024,
    )


def test_psychotherapy_note_releases_are_listed_to_their_author_alone(alice, bob):
    from disclosures.models import Disclosure

    client = make_client(alice)
    dora = make_user(email="dora@example.org", full_name="Dora Cotherapist")
    make_assignment(client, dora)
    record = _disclosure(client, alice, Disclosure.Kind.RECORD, "a")
    alices_pn = _disclosure(client, alice, Disclosure.Kind.PSYCHOTHERAPY_NOTE, "b")
    doras_pn = _disclosure(client, dora, Disclosure.Kind.PSYCHOTHERAPY_NOTE, "c")
    url = reverse("disclosures:report", args=[client.code])

    def listed(user) -> set[str]:
        html = _browser(user).get(url).content.decode()
        return {d.sha256[0] for d in (record, alices_pn, doras_pn) if d.sha256 in html}

    assert listed(alice) == {"a", "b"}
    assert listed(dora) == {"a", "c"}
    # Alice's supervisor reads the record, not her or Dora's process-note releases.
    assert listed(bob) == {"a"}
    # The audit event of Bob's read names only what he was shown.
    shown = AuditEvent.objects.filter(action="disclosure.report_view", actor=bob).get()
    assert shown.changes["disclosures"] == [str(record.code)]


# --- New-client idempotency keys are scoped to their user ------------------------------------


def _new_client_form(key, name):
    return {
        "idempotency_key": str(key),
        "legal_name": name,
        "status": "ACTIVE",
        "intake_date": "2026-01-12",
        "consent_to_treatment_on": "2026-01-12",
    }


def test_an_idempotency_key_from_another_user_creates_their_own_client(alice, charlie):
    key = uuid.uuid4()
    create = reverse("clients:client_create")
    first = _browser(alice).post(create, _new_client_form(key, "Theodora Quinn"))
    assert first.status_code == 302
    alices = ClinicalClient.objects.get()

    # Charlie sends the same key (seen, guessed or replayed): he gets a new client of his own.
    other = _browser(charlie).post(create, _new_client_form(key, "Marlow Finch"))
    assert other.status_code == 302
    assert other["Location"] != alices.get_absolute_url()
    assert ClinicalClient.objects.count() == 2
    charlies = ClinicalClient.objects.exclude(pk=alices.pk).get()
    assert charlies.legal_name == "Marlow Finch"
    assert other["Location"] == charlies.get_absolute_url()
    assert _browser(charlie).get(alices.get_absolute_url()).status_code == 404

    # Alice's own double submit still creates nothing new.
    again = _browser(alice).post(create, _new_client_form(key, "Theodora Quinn"))
    assert again["Location"] == alices.get_absolute_url()
    assert ClinicalClient.objects.count() == 2


# --- The CSP report endpoint -----------------------------------------------------------------


def _report(browser, report, **extra):
    return browser.post(
        reverse("csp_report"),
        json.dumps({"csp-report": report}),
        content_type="application/csp-report",
        **extra,
    )


def test_csp_reports_cannot_forge_log_lines(caplog):
    hostile = {
        "effective-directive": "script-src\r\n2026-12-06 ERROR admin login ok",
        "blocked-uri": "inline\n\x1b[2J",
        "document-uri": "https://notes.example.org/clients/\x1b[31m\u2028forged\x0b",
    }
    with caplog.at_level(logging.WARNING, logger="ipnb_notes.csp"):
        assert _report(Client(), hostile).status_code == 204
    [record] = [r for r in caplog.records if r.name == "ipnb_notes.csp"]
    line = record.getMessage()
    assert line.isprintable(), repr(line)
    assert "script-src??2026-12-06 ERROR admin login ok" in line


def test_csp_reports_are_rate_limited_per_address(caplog):
    from audit.views import CSP_REPORTS_PER_MINUTE

    report = {"effective-directive": "img-src", "blocked-uri": "https://x.example/a"}
    browser = Client()
    with (
        time_machine.travel(time.time(), tick=False),
        caplog.at_level(logging.WARNING, logger="ipnb_notes.csp"),
    ):
        for _ in range(CSP_REPORTS_PER_MINUTE):
            assert (
                _report(browser, report, REMOTE_ADDR="203.0.113.9").status_code == 204
            )
        logged = len(caplog.records)
        assert logged == CSP_REPORTS_PER_MINUTE
        flood = [
            _report(browser, report, REMOTE_ADDR="203.0.113.9").status_code
            for _ in range(50)
        ]
        assert set(flood) == {429}
        assert len(caplog.records) == logged  # the excess is not logged
        # Another address is not held up by the first one's flood.
        assert _report(browser, report, REMOTE_ADDR="198.51.100.4").status_code == 204


# --- Behind the TLS proxy: client addresses, and a lockout one address cannot abuse ----------


def test_behind_the_proxy_the_audit_row_records_the_client_address(alice, settings):
    session = make_session(make_client(alice), alice)
    url = reverse("sessions:session_detail", args=[session.code])
    browser = _browser(alice)
    # The client wrote 6.6.6.6 itself; the proxy appended the address it saw.
    forwarded = {"X-Forwarded-For": "6.6.6.6, 198.51.100.23"}
    settings.TRUSTED_PROXY_COUNT = 1
    browser.get(url, headers=forwarded, REMOTE_ADDR=PROXY)
    # No proxy configured: the socket address, the header ignored.
    settings.TRUSTED_PROXY_COUNT = 0
    browser.get(url, headers=forwarded, REMOTE_ADDR=PROXY)
    reads = AuditEvent.objects.filter(action="session.view").order_by("seq")
    assert [e.ip for e in reads] == ["198.51.100.23", PROXY]


@pytest.fixture
def behind_the_proxy(settings):
    """The documented deployment: TRUSTED_PROXY_COUNT=1 in the environment, which settings.py
    hands to allauth's rate limits too."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    return settings


def _sign_in(address, login, password):
    # A fresh browser per attempt, as a script would; every request reaches us from the proxy.
    return Client().post(
        reverse("account_login"),
        {"login": login, "password": password},
        headers={"X-Forwarded-For": address},
        REMOTE_ADDR=PROXY,
    )


def _signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse(
        "mfa_authenticate"
    )


def test_one_address_cannot_lock_a_clinician_out(alice, behind_the_proxy):
    """25 failures from one attacker address, spread so that its lockout reaches the one-day
    tier: Alice, signing in from her own address, gets in every time; the attacker's address
    stays locked, even with her right password."""
    attacker, home = "203.0.113.66", "198.51.100.7"
    wrong = "wrong password, sorry"
    with time_machine.travel(time.time(), tick=False) as clock:
        for pause in (16, 61, 61, 0):  # minutes: past each cool-off, failures pile up
            for _ in range(5):
                _sign_in(attacker, alice.email, wrong)
            assert not _signed_in(_sign_in(attacker, alice.email, PASSWORD))
            assert _signed_in(_sign_in(home, alice.email, PASSWORD))
            clock.shift(pause * 60)
        for _ in range(5):  # and more while locked
            _sign_in(attacker, alice.email, wrong)
        assert _signed_in(_sign_in(home, alice.email, PASSWORD))
        clock.shift(3 * 3600)
        # 20 failures within the day: the attacker's address is locked for a day.
        assert _sign_in(attacker, alice.email, PASSWORD).status_code == 429
        assert _signed_in(_sign_in(home, alice.email, PASSWORD))


def test_failures_from_many_networks_lock_the_account_for_a_while(
    alice, behind_the_proxy
):
    settings = behind_the_proxy
    with time_machine.travel(time.time(), tick=False) as clock:
        for n in range(settings.AXES_ACCOUNT_LOCK_NETWORKS):
            _sign_in(f"203.0.113.{n + 1}", alice.email, "guess guess guess")
        locked = _sign_in("198.51.100.7", alice.email, PASSWORD)
        assert locked.status_code == 429
        clock.shift((settings.AXES_ACCOUNT_LOCK_MINUTES + 1) * 60)
        assert _signed_in(_sign_in("198.51.100.7", alice.email, PASSWORD))


def test_one_ipv6_host_counts_as_one_network(alice, behind_the_proxy):
    for n in range(behind_the_proxy.AXES_ACCOUNT_LOCK_NETWORKS * 2):
        _sign_in(f"2001:db8:1:1::{n + 1:x}", alice.email, "guess guess guess")
    assert _signed_in(_sign_in("198.51.100.7", alice.email, PASSWORD))
