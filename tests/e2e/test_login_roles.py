"""Each role signs in through the real form and lands on its own home page."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import assert_no_serious_axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("persona", "heading", "badge"),
    [
        ("alice", "Good to see you", "Therapist"),
        ("bob", "Awaiting your co-signature", "Supervisor"),
        ("ada", "Practice administration", "Practice admin"),
    ],
)
def test_each_role_signs_in_and_sees_its_home(
    page, live_server, personas, persona, heading, badge
):
    login(page, live_server, personas[persona])
    assert page.get_by_text(heading).first.is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Home").get_attribute("aria-current") == "page"
    assert page.locator(".role-badge").inner_text() == badge
    # Account administration is offered to practice admins only.
    assert (nav.get_by_role("link", name="Users").count() == 1) is (persona == "ada")
    assert_no_serious_axe_violations(page)


def test_the_admin_reaches_the_user_list_and_signs_out(page, live_server, personas):
    login(page, live_server, personas["ada"])
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Users"
    ).click()
    page.wait_for_url("**/practice/users/")
    table = page.get_by_role("table")
    assert table.get_by_role("link", name="Alice Therapist").is_visible()
    assert table.get_by_text("Bob Supervisor").first.is_visible()
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto(f"{live_server.url}/practice/users/")
    assert "/accounts/login/" in page.url
