"""Each role signs in through the real form and lands on its own home page."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import assert_no_serious_axe_violations, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("persona", "heading"),
    [
        ("alice", "Good to see you"),
        ("bob", "Awaiting your co-signature"),
        ("ada", "Practice administration"),
    ],
)
def test_each_role_signs_in_and_sees_its_home(
    page, live_server, personas, persona, heading
):
    login(page, live_server, personas[persona])
    assert page.get_by_text(heading).first.is_visible()
    assert_no_serious_axe_violations(page)
