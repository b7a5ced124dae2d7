"""When a note is late has one home: the practice setting (ipnb_notes.practice).

The attack: a module that decides "late" with its own number (48 h in Python, `48 * 60` in
SQL) quietly disagrees with the practice's policy, so the home page, the note and the
dashboards call different notes late. The defence: every reader calls `note_late_hours()`,
a grep fails the suite when a number comes back, and changing the setting changes what the
home page and the dashboards (live and stored rollups) call late.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dashboards import reports, services
from dashboards.models import TherapistSummary
from ipnb_notes import practice
from ipnb_notes.models import OutboxMessage
from sessions.notes.services.home import home_context
from tests.dashboards.helpers import session, signed_note, weeks_ago
from tests.factories import make_client, make_session, mark_recently_authenticated

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts",
    "audit",
    "clients",
    "dashboards",
    "disclosures",
    "ipnb_notes",
    "measures",
    "sessions",
    "templates",
)
# A number of hours (or minutes) beside "late", a timedelta of 1-3 days, or SQL minutes.
HARD_CODED = [
    re.compile(r"late\w*\s*[:=]\s*\d", re.I),
    re.compile(r"late.*\b(24|48|72)\b", re.I),
    re.compile(r"\b(24|48|72)\b.*late", re.I),
    re.compile(r"\b(24|48|72)\s*\*\s*60\b"),
    re.compile(r"interval\s*'\s*(24|48|72)\s*hours?'", re.I),
]
# The setting's model declares its default and bounds; practice.py reads it.
HOME = (ROOT / "ipnb_notes" / "practice.py", ROOT / "ipnb_notes" / "models.py")


def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            if (
                path.suffix not in (".py", ".html", ".sql")
                or "migrations" in path.parts
            ):
                continue
            if path in HOME:
                continue
            yield path


def test_no_module_hard_codes_when_a_note_is_late():
    offenders = []
    for path in _sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in HARD_CODED):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, (
        "decide lateness with practice.note_late_hours():\n" + "\n".join(offenders)
    )


def test_the_grep_catches_the_numbers_it_is_meant_to_catch():
    for line in (
        "LATE_AFTER = timedelta(hours=48)",
        "NOTE_LATE_HOURS = 48",
        "+ (s.duration_minutes + 48 * 60) * interval '1 minute') AS late,",
        "if hours_since > 72:  # late",
    ):
        assert any(p.search(line) for p in HARD_CODED), line


def test_the_default_is_72_hours_until_an_admin_changes_it():
    assert practice.note_late_hours() == 72


def test_changing_the_setting_changes_what_home_calls_late(alice, ada):
    client = make_client(alice)
    ended_60h_ago = timezone.now() - timedelta(hours=61)
    make_session(client, alice, starts_at=ended_60h_ago)
    [row] = home_context(alice)["to_write"]
    assert row.is_late is False  # 60 h < 72 h
    practice.set_note_late_hours(48, by=ada)
    [row] = home_context(alice)["to_write"]
    assert row.is_late is True


def test_changing_the_setting_changes_what_the_caseload_dashboard_calls_late(
    alice, ada
):
    client = make_client(alice)
    make_session(client, alice, starts_at=timezone.now() - timedelta(hours=61))
    [row] = reports.caseload(alice.id)
    assert row["late"] == 0
    practice.set_note_late_hours(48, by=ada)
    [row] = reports.caseload(alice.id)
    assert row["late"] == 1


def test_changing_the_setting_rebuilds_the_stored_late_counts(alice, ada):
    client = make_client(alice)
    signed_note(session(client, alice, weeks_ago(2)), 60)
    services.rollup_refresh_client(client_id=client.id)
    assert TherapistSummary.objects.get(therapist=alice).notes_late == 0
    practice.set_note_late_hours(48, by=ada)
    queued = OutboxMessage.objects.filter(task="dashboards.tasks.rollup_refresh_all")
    assert queued.count() == 1
    services.rollup_refresh_all()  # what the queued task runs
    assert TherapistSummary.objects.get(therapist=alice).notes_late == 1


def test_the_admin_changes_it_in_sudo_mode_audited_with_old_and_new(ada):
    browser = Client()
    browser.force_login(ada)
    url = reverse("accounts:practice_settings")
    response = browser.post(url, {"note_late_hours": "24"})
    assert response.status_code == 302 and url not in response["Location"]
    assert practice.note_late_hours() == 72  # no recent authentication: nothing changed
    mark_recently_authenticated(browser, ada)
    response = browser.post(url, {"note_late_hours": "24"})
    assert response.status_code == 302
    assert practice.note_late_hours() == 24
    event = AuditEvent.objects.get(action="practice.settings_change")
    assert event.changes == {"note_late_hours": [72, 24]}


@pytest.mark.parametrize("typed", ["0", "-5", "abc", "100000", ""])
def test_bad_input_is_refused_beside_the_field_and_kept(ada, typed):
    browser = Client()
    browser.force_login(ada)
    mark_recently_authenticated(browser, ada)
    response = browser.post(
        reverse("accounts:practice_settings"), {"note_late_hours": typed}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_note_late_hours_error"' in body
    if typed:
        assert f'value="{typed}"' in body
    assert practice.note_late_hours() == 72


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_only_practice_admins_see_the_settings(request, who):
    user = request.getfixturevalue(who)
    browser = Client()
    browser.force_login(user)
    mark_recently_authenticated(browser, user)
    url = reverse("accounts:practice_settings")
    assert browser.get(url).status_code == 404
    assert browser.post(url, {"note_late_hours": "1"}).status_code == 404
    assert practice.note_late_hours() == 72
