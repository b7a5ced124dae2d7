"""The practice admin's user list prints its rows through a Jinja2 partial
(templates/jinja2/accounts/_user_rows.html) from plain values read in one statement: hostile
names, credentials and emails come out as the characters typed; each cell says what the
Django template said (supervisors, sign-in, invitation, second factor, status); the page and
its count come together, and a page number out of range is the last page, as before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import queries
from accounts.models import User
from tests.clients.test_table_escaping import HOSTILE, assert_inert
from tests.factories import make_supervision, make_user

pytestmark = pytest.mark.django_db

LIST_URL = reverse("accounts:user_list")


def _row_of(html: str, name: str) -> str:
    """The <tr> of the row whose link reads `name`."""
    start = html.index(f">{name}</a>")
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_rows_show_hostile_names_credentials_and_emails_as_text(
    client, ada, payload
):
    lee = make_user(
        full_name=f"Lee {payload}",
        credentials=payload[:60],
        email=f"lee{payload}@example.org",
    )
    sam = make_user(full_name=f"Sam {payload}", role=User.Role.SUPERVISOR)
    make_supervision(sam, lee, requires_cosignature=True)
    client.force_login(ada)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    # Lee's name, credentials and email; Sam's name in his row and in Lee's.
    assert_inert(html, payload[:60], times=5)
    assert html.count("<tr>") == 1 + 3  # the header row and one row per account
    # The htmx answer (the rows alone) escapes them the same way.
    rows = client.post(LIST_URL, {"q": "lee"}, headers={"HX-Request": "true"})
    assert_inert(rows.content.decode(), payload[:60], times=3)


def test_a_row_prints_each_cell_as_before(client, ada):
    signed_in = datetime(2026, 3, 4, 15, 5, tzinfo=UTC)
    lee = make_user(
        full_name="Lee Park",
        credentials="LMFT",
        email="lee@example.org",
        last_login=signed_in,
    )
    make_supervision(make_user(full_name="Zoe Supervisor", role="SUPERVISOR"), lee)
    make_supervision(
        make_user(full_name="Ann Supervisor", role="SUPERVISOR"),
        lee,
        requires_cosignature=True,
    )
    client.force_login(ada)

    row = _row_of(client.get(LIST_URL).content.decode(), "Lee Park")

    local = signed_in.astimezone(ZoneInfo(settings.TIME_ZONE))
    assert row == (
        "<tr>\n"
        f'<td><a href="/practice/users/{lee.code}/">Lee Park</a>'
        ' <span class="muted">LMFT</span></td>\n'
        "<td>lee@example.org</td>\n"
        "<td>Therapist</td>\n"
        '<td>Ann Supervisor <span class="badge">co-signs</span>, Zoe Supervisor</td>\n'
        f'<td><time datetime="{local.isoformat()}">'
        f"{local:%b} {local.day}, {local:%Y %H:%M}</time></td>\n"
        '<td>Set up <span class="muted">(Authenticator app)</span></td>\n'
        "<td>Active</td>\n"
    )


def test_the_cells_for_invited_never_signed_in_and_deactivated_accounts(client, ada):
    invited = make_user(full_name="Ivy Invited", mfa=False)
    invited.set_unusable_password()
    invited.save()
    make_user(full_name="Ned Never")
    gone = make_user(full_name="Gus Gone", is_active=False)
    # A supervisor with no name is named by their email (as str(User) names them).
    nameless = make_user(full_name="", email="nameless@example.org", role="SUPERVISOR")
    make_supervision(nameless, gone)
    client.force_login(ada)

    html = client.get(LIST_URL).content.decode()

    ivy = _row_of(html, "Ivy Invited")
    assert '<td><span class="muted">Invited</span></td>' in ivy
    assert '<td><span class="badge badge-warn">Not set up</span></td>' in ivy
    assert '<td><span class="muted">None</span></td>' in ivy
    assert '<td><span class="muted">Never</span></td>' in _row_of(html, "Ned Never")
    gus = _row_of(html, "Gus Gone")
    assert '<td><span class="badge badge-warn">Deactivated</span></td>' in gus
    assert "<td>nameless@example.org</td>" in _row_of(html, "")  # the nameless row
    assert "<td>nameless@example.org</td>" in gus  # their supervisor's cell
    assert "<td>Practice admin</td>" in _row_of(html, "Ada Admin")


def test_only_current_supervisions_are_shown(client, ada, alice):
    now = timezone.now()
    make_supervision(
        make_user(full_name="Old Supervisor", role="SUPERVISOR"),
        alice,
        ended_at=now - timedelta(days=1),
    )
    make_supervision(
        make_user(full_name="Future Supervisor", role="SUPERVISOR"),
        alice,
        started_on=timezone.localdate() + timedelta(days=2),
    )
    make_supervision(
        make_user(full_name="Now Supervisor", role="SUPERVISOR"),
        alice,
        started_on=date(2025, 1, 1),
    )
    client.force_login(ada)

    row = _row_of(client.get(LIST_URL).content.decode(), "Alice Therapist")

    assert "<td>Now Supervisor</td>" in row
    assert "Old Supervisor" not in row and "Future Supervisor" not in row


@pytest.fixture
def sixty_one(ada):
    for n in range(60):
        make_user(full_name=f"Zed {n:02d}")


def _page(response) -> tuple[int, list[str]]:
    page = response.context["page"]
    return page.number, [u.full_name for u in page.object_list]


@pytest.mark.parametrize(
    ("number", "expected"), [("2", 2), ("0", 2), ("-1", 2), ("99", 2), ("x", 1)]
)
def test_a_page_number_out_of_range_is_the_last_page_and_a_bad_one_the_first(
    client, ada, sixty_one, number, expected
):
    client.force_login(ada)

    number_shown, names = _page(client.get(LIST_URL, {"page": number}))

    assert number_shown == expected
    if expected == 2:
        assert names == [f"Zed {n:02d}" for n in range(49, 60)]
    else:
        assert len(names) == 50 and names[0] == "Ada Admin"


def test_a_page_in_range_costs_one_statement_and_one_out_of_range_two_more(
    client, ada, sixty_one
):
    client.force_login(ada)
    client.get(LIST_URL, {"page": "2"})

    def count(params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST_URL, params).status_code == 200
        return len(ctx.captured_queries)

    # session, user, the page with its count
    assert count({"page": "2"}) == 3
    assert count({"page": "3"}) == 3 + 2  # no row: then the count and the last page


def test_a_search_pages_through_its_matches(client, ada, sixty_one):
    client.force_login(ada)

    first = client.post(LIST_URL, {"q": "zed", "page": "1"})
    second = client.post(LIST_URL, {"q": "zed", "page": "2"})

    assert len(_page(first)[1]) == 50
    assert _page(second) == (2, [f"Zed {n:02d}" for n in range(50, 60)])
    assert "Page 2 of 2" in second.content.decode()


def test_pages_built_each_time_print_what_the_baked_statement_prints(
    client, ada, sixty_one, monkeypatch
):
    """Pages past BAKED_PAGES are built each time; they must read the same rows."""
    client.force_login(ada)
    params = {"page": "2", "sort": "email", "status": "active"}
    baked = client.get(LIST_URL, params).content.decode()

    monkeypatch.setattr(queries, "BAKED_PAGES", 0)
    built = client.get(LIST_URL, params).content.decode()

    def rows(html):
        return html[html.index("<tbody>") : html.index("</tbody>")]

    assert rows(built) == rows(baked)
    assert rows(built).count("<tr>") == 11
