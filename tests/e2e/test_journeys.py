"""The journeys of shared/PRODUCT.md, end to end, by role, counting page loads: the
therapist's day, the supervisor's day and the practice admin's day. Every page on the way
passes axe."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import CaseAssignment
from dashboards import services as rollups
from sessions.capture import services as capture
from sessions.models import ProgressNote
from tests.e2e.helpers import assert_no_serious_axe_violations, login
from tests.factories import (
    PASSWORD,
    make_client,
    make_note,
    make_session,
    make_user,
)
from tests.sessions.conftest import sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class PageLoads:
    """Counts the documents the page loads (its main frame's load events). An htmx swap, an
    autosave or a filter that pushes its query string into the address bar loads no document
    (Playwright reports those as same-document navigations, which `framenavigated` would also
    count); a form post answered by a redirect loads one."""

    def __init__(self, page) -> None:
        self.count = 0
        page.on("load", self._loaded)

    def _loaded(self, page) -> None:
        self.count += 1


def _earlier_today(minutes: int = 60) -> datetime:
    """A start time earlier today (local time), `minutes` ago when today is that long."""
    now = timezone.localtime()
    midnight = timezone.make_aware(datetime.combine(now.date(), time.min))
    return max(midnight, now - timedelta(minutes=minutes))


def test_therapists_day_from_home_to_a_signed_note_in_four_page_loads(
    page, live_server, alice
):
    jay = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    earlier = make_session(jay, alice, starts_at=timezone.now() - timedelta(days=10))
    rupture, _ = capture.event_create(
        session=earlier, tag="rupture-withdrawal", minute=12, by=alice
    )
    today = make_session(jay, alice, starts_at=_earlier_today())
    login(page, live_server, alice)

    # Morning: the home lists today's session and the open rupture on Jay's record.
    ruptures = page.get_by_role("region", name=re.compile("^Open ruptures"))
    expect(ruptures).to_contain_text("Jay")
    expect(ruptures).to_contain_text("10 days")
    assert_no_serious_axe_violations(page)
    ruptures.get_by_role("link", name=re.compile("minute 12")).click()
    page.wait_for_url(f"**/sessions/{earlier.code}/#event-{rupture.code}")
    expect(page.locator(f"#event-{rupture.code}")).to_contain_text("Withdrawal")
    assert_no_serious_axe_violations(page)

    # Before the session: the client page, one click from home.
    page.goto(f"{live_server.url}/")
    today_list = page.get_by_role("region", name="Today")
    today_list.get_by_role("link", name="Jay").click()
    page.wait_for_url(f"**/clients/{jay.code}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jay")
    expect(page.get_by_text("Open ruptures")).to_be_visible()
    assert_no_serious_axe_violations(page)

    # After the session: from home to a written, signed note, counting every page load.
    loads = PageLoads(page)
    page.goto(f"{live_server.url}/")
    assert loads.count == 1
    page.get_by_role("region", name="Today").get_by_role(
        "link", name="Write note"
    ).click()
    page.wait_for_url(f"**/sessions/{today.code}/note/")
    assert_no_serious_axe_violations(page)
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    page.get_by_label("Note format").select_option("SOAP")
    page.get_by_label("Subjective").fill("Says the week felt lighter.")
    page.get_by_label("Plan", exact=True).fill("Weekly; grounding practice daily.")
    assert_no_serious_axe_violations(page)
    page.get_by_label(re.compile("I attest that this note")).check()
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Signed. The note is now locked")).to_be_visible()
    assert_no_serious_axe_violations(page)

    assert loads.count <= 4, f"{loads.count} page loads from home to a signed note"
    note = ProgressNote.objects.get(session=today)
    assert note.status == ProgressNote.Status.SIGNED
    assert note.sections["subjective"] == "Says the week felt lighter."


def test_supervisors_day_cosign_from_home_and_drill_to_a_supervisees_client(
    page, live_server, alice, bob
):
    jay = make_client(alice, legal_name="Jamie Rivers", preferred_name="Jay")
    held = make_session(jay, alice, starts_at=timezone.now() - timedelta(days=2))
    capture.event_create(session=held, tag="rupture-confrontation", minute=20, by=alice)

    note = sign(make_note(held), alice)
    rollups.rollup_refresh_client(client_id=jay.id)
    login(page, live_server, bob)

    # Monday: the co-signature queue on the home page; the note co-signed in three loads.
    loads = PageLoads(page)
    page.goto(f"{live_server.url}/")
    assert loads.count == 1
    queue = page.get_by_role("region", name="Awaiting your co-signature")
    expect(queue).to_contain_text("Jay")
    assert_no_serious_axe_violations(page)
    queue.get_by_role("link", name="Review").click()
    expect(page.get_by_text("Client reports a calmer week.")).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_label(re.compile("co-sign it as the supervising clinician")).check()
    page.get_by_role("button", name="Co-sign note").click()
    expect(page.get_by_text("Co-signed.")).to_be_visible()
    assert loads.count <= 3, f"{loads.count} page loads from home to a co-signed note"
    note.refresh_from_db()
    assert note.status == ProgressNote.Status.SIGNED and note.cosigned_by == bob

    # Preparing supervision: the supervision page, the supervisee's unrepaired ruptures,
    # then the client's trajectory, read-only.
    loads = PageLoads(page)
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Dashboards"
    ).click()
    expect(
        page.get_by_role("heading", name="Supervision dashboard", level=1)
    ).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name=f"1 unrepaired ruptures of {alice.full_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Unrepaired ruptures: {alice.full_name}"
    )
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Jay").click()
    page.wait_for_url(f"**/dashboards/clients/{jay.code}/")
    expect(page.get_by_text("Read-only").first).to_be_visible()
    assert_no_serious_axe_violations(page)
    assert loads.count <= 4, f"{loads.count} page loads from home to the trajectory"


def test_admins_day_second_factors_an_assignment_and_who_opened_a_record(
    page, live_server, ada, alice
):
    make_user(email="nia@example.org", full_name="Nia Okoro", mfa=False)
    record = make_client(legal_name="Robin Vale")
    login(page, live_server, ada)

    # Who has not set up a second factor: the user list, one click from home.
    loads = PageLoads(page)
    page.goto(f"{live_server.url}/")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Manage users").click()
    page.wait_for_url("**/practice/users/")
    nia = page.get_by_role("row", name=re.compile("Nia Okoro"))
    expect(nia).to_contain_text("Not set up")
    page.get_by_label("Second factor").select_option(label="Not set up")
    expect(page.get_by_role("row", name=re.compile("Alice Therapist"))).to_have_count(0)
    expect(nia).to_be_visible()
    assert_no_serious_axe_violations(page)
    assert loads.count <= 2, f"{loads.count} page loads from home to the user list"

    # A new client assigned to a therapist: three clicks from home, and the password asked
    # again first (assignments are in sudo mode: one more page, once per timeout).
    loads = PageLoads(page)
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Clients"
    ).click()
    page.wait_for_url("**/practice/clients/")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Robin Vale").click()
    page.wait_for_url(re.compile(r"/reauthenticate/"))
    assert_no_serious_axe_violations(page)
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url(f"**/practice/clients/{record.code}/")
    assert_no_serious_axe_violations(page)
    page.get_by_label("New primary therapist").select_option(label=str(alice))
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text(f"{alice} is now the primary therapist.")).to_be_visible()
    assert_no_serious_axe_violations(page)
    assert loads.count <= 5, f"{loads.count} page loads from home to an assignment"
    assert (
        CaseAssignment.objects.current()
        .filter(client=record, therapist=alice, role=CaseAssignment.Role.PRIMARY)
        .exists()
    )

    # Who opened this client's record: the audit report, searched by the client's name and
    # narrowed to the client's own events, then exported.
    therapist = Client()
    therapist.force_login(alice)
    assert therapist.get(f"/clients/{record.code}/").status_code == 200
    loads = PageLoads(page)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Audit report").click()
    page.wait_for_url("**/practice/audit/")
    assert_no_serious_axe_violations(page)
    page.get_by_role("textbox", name="Client name").fill("Robin")
    with page.expect_navigation():  # a POST: the name never enters the address
        page.get_by_role("button", name="Search by name").click()
    page.get_by_role(
        "link", name=re.compile(r"^Events of this client only\W+Robin Vale$")
    ).click()
    page.wait_for_url(f"**/practice/audit/?client={record.code}")
    opened = page.get_by_role("row").filter(has_text="client.view")
    expect(opened).to_contain_text(alice.email)
    assert_no_serious_axe_violations(page)
    assert loads.count <= 4, (
        f"{loads.count} page loads from home to the client's events"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    assert alice.email in exported and str(record.code) in exported
