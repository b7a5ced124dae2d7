"""Nothing clinical stays in the browser: no localStorage, sessionStorage or IndexedDB
after using the app, and none at all after signing out (WEB-06, ONC 170.315(d)(7))."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.helpers import login
from tests.factories import make_client, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SENTINEL = "Zebracorn-Sentinel-4471"
SAVED = re.compile(r"Saved \d\d:\d\d")

STORAGE = """async () => {
  const dbs = indexedDB.databases ? await indexedDB.databases() : [];
  const dump = (s) => Object.keys(s).map((k) => k + "=" + s.getItem(k)).join("\\n");
  return {local: dump(localStorage), session: dump(sessionStorage),
          localCount: localStorage.length, sessionCount: sessionStorage.length,
          idb: dbs.map((d) => d.name)};
}"""


def test_no_phi_in_browser_storage_during_use_or_after_sign_out(
    page, live_server, alice
):
    client = make_client(alice, legal_name=f"Robin {SENTINEL}")
    session = make_session(client, alice)

    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    login(page, live_server, alice)
    page.goto(live_server.url + reverse("clients:client_detail", args=[client.code]))
    expect(page.get_by_text(SENTINEL).first).to_be_visible()
    page.goto(live_server.url + reverse("sessions:note_edit", args=[session.code]))
    with page.expect_navigation():  # the editor, its scripts loaded
        page.get_by_role("button", name="Start the note").click()
    page.get_by_label("Subjective").fill(f"Notes mention {SENTINEL} twice: {SENTINEL}")
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=10_000)
    # Back and forward through history, as htmx navigation would.
    page.go_back()
    page.go_forward()

    during = page.evaluate(STORAGE)
    assert SENTINEL not in during["local"]
    assert SENTINEL not in during["session"]
    assert during["idb"] == []

    # WEB-03 (3): the main flow ran without a single CSP violation.
    assert violations == []

    page.goto(live_server.url + "/")
    page.get_by_role("button", name=re.compile("Sign out", re.I)).click()
    page.wait_for_url("**/accounts/login/**")
    after = page.evaluate(STORAGE)
    assert after["localCount"] == 0, after
    # Clear-Site-Data emptied storage at sign-out; the login page's htmx then notes only
    # its own path (a URL, never record content) for history handling.
    assert after["session"] in ("", "htmx-current-path-for-history=/accounts/login/"), (
        after
    )
    assert after["idb"] == []
    # And the pages are not served back from cache once signed out.
    page.go_back()
    expect(page.get_by_text(SENTINEL)).to_have_count(0)
