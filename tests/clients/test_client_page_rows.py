"""The client page's plain rows: the overview's therapists and roles, the last plan read
without the note's other columns, and the timeline partial (templates/jinja2/clients/
_timeline_rows.html) printing whatever its rows hold as text."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import CaseAssignment
from clients.queries import timeline_rows
from sessions.models import ProgressNote
from tests.clients.test_client_detail import DETAIL_QUERIES
from tests.clients.test_table_escaping import HOSTILE, _Page, assert_inert
from tests.factories import make_assignment, make_note, make_session, make_user


def test_the_overview_names_each_current_therapist_and_role(
    client, alice, alices_client
):
    make_assignment(alices_client, make_user(full_name="Casey Co"))
    ended = make_assignment(alices_client, make_user(full_name="Former Co"))
    CaseAssignment.objects.filter(pk=ended.pk).update(ended_at=timezone.now())
    client.force_login(alice)
    html = client.get(reverse("clients:client_detail", args=[alices_client.code]))
    overview = html.content.decode().split("<dt>Therapists</dt>")[1].split("</dd>")[0]
    # In the order of the role's code (co-therapists first), as the page always listed them.
    assert overview == (
        '<dd>Casey Co <span class="muted">(co-therapist)</span>, '
        f'{alice} <span class="muted">(primary therapist)</span>'
    )


def test_the_last_plan_is_read_with_the_page_and_nothing_else(
    client, alice, alices_client
):
    session = make_session(alices_client, alice)
    note = make_note(session, plan="Try the breathing cue.", sections={"x": "y"})
    ProgressNote.objects.filter(pk=note.pk).update(
        status=ProgressNote.Status.SIGNED, signed_at=timezone.now(), signed_by=alice
    )
    client.force_login(alice)
    url = reverse("clients:client_detail", args=[alices_client.code])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert "Try the breathing cue." in html
    assert reverse("sessions:note_detail", args=[note.code]) in html
    assert "Mar 2, 2026</a>" in html  # the note's session, as the factory dates it
    # A deferred column read by the template would cost a query of its own.
    assert len(queries.captured_queries) == DETAIL_QUERIES["alice"]


def _rows(payload: str) -> list[dict]:
    """Two timeline rows as the page reads them (TIMELINE_FIELDS), hostile values in the
    columns it prints, made into the rows the partial prints (timeline_rows)."""
    starts = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    row = {
        "code": uuid4(),
        "starts_at": starts,
        "modality": "INDIVIDUAL",
        "setting": "IN_PERSON",
        "therapist__full_name": payload,
        "therapist__email": "therapist@example.org",
        "note__code": None,
        "note__status": None,
        "note__author_id": None,
    }
    return timeline_rows(
        [
            # Values no choice knows are printed as they are: still text.
            row | {"status": payload, "note__code": uuid4(), "note__status": payload},
            row | {"status": "ATTENDED", "modality": payload, "setting": payload},
        ],
        user_id=1,
    )


@pytest.mark.parametrize("payload", HOSTILE)
def test_timeline_rows_print_hostile_values_as_text(payload):
    html = (
        engines["django"]
        .from_string(
            '{% load jinja %}{% jinja "clients/_timeline_rows.html" sessions=rows %}'
        )
        .render({"rows": _rows(payload)})
    )
    # Therapist, status and note status in the first row; therapist in the second (the
    # modality and setting are lower-cased there).
    assert_inert(html, payload, times=4)
    assert_inert(html, payload.lower(), times=1)
    page = _Page()
    page.feed(html)
    assert [tag for tag, _ in page.tags].count("tr") == 2
    assert "No signed note" in page.text


def test_the_first_page_a_later_one_and_one_past_the_end(client, alice, alices_client):
    """The first timeline page is baked, a later one compiled per request: both newest
    first; a page past the end falls back to the last, a page that is not a number to the
    first."""
    now = timezone.now()
    made = [
        make_session(alices_client, alice, starts_at=now - timedelta(days=n + 1))
        for n in range(27)
    ]
    client.force_login(alice)
    url = reverse("clients:client_detail", args=[alices_client.code])

    def codes(**params):
        timeline = client.get(url, params).context["timeline"]
        return [row["code"] for row in timeline]

    newest_first = [s.code for s in made]
    assert codes() == newest_first[:25]
    assert codes(page="x") == newest_first[:25]
    assert codes(page=2) == newest_first[25:]
    assert codes(page=9) == newest_first[25:]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 8, 6, 30, tzinfo=ZoneInfo("UTC")),  # the night clocks change
        datetime(2026, 11, 1, 4, 59, tzinfo=ZoneInfo("UTC")),
        datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("Pacific/Auckland")),
        datetime(2026, 9, 1, 0, 0, tzinfo=ZoneInfo("UTC")),
        date(1984, 5, 9),
        date(2026, 1, 1),
    ],
)
def test_a_day_prints_as_the_date_filter_prints_it(value):
    from django.template.defaultfilters import date as date_filter
    from django.utils.timezone import template_localtime

    from clients.queries import day

    assert day(value) == date_filter(template_localtime(value), "M j, Y")
