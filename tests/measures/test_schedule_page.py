"""The measures schedule page reads everything it shows in one round trip after the access
check, and prints its fields and the links the schedule made through Jinja2 partials
(templates/jinja2/measures/): the same markup as the Django templates, a practice instrument's
hostile name shown as the characters typed, each link's copy form with its CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template, engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from measures import practice_instruments, scheduling
from measures.forms import ScheduleForm
from measures.models import MeasureLink, MeasuresPolicy
from measures.views import _WIDGETS
from sessions.models import TherapySession
from tests.clients.test_table_escaping import HOSTILE, assert_inert
from tests.factories import make_session
from tests.measures.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _upcoming(robin, alice, days: int = 1) -> TherapySession:
    return make_session(
        robin,
        alice,
        starts_at=timezone.now() + timedelta(days=days),
        status=TherapySession.Status.SCHEDULED,
    )


def _define(ada, name: str = "Felt Safety Scale"):
    return practice_instruments.define(
        name=name,
        question="Over the last week, how often:",
        items=["I felt safe with others", "I slept well"],
        scale=["Never", "Sometimes", "Often"],
        bands=[],
        by=ada,
    )


def _page(alice, robin):
    response = signed_in(alice).get(reverse("measures:schedule", args=[robin.code]))
    assert response.status_code == 200
    return response.content.decode()


def _tbody(html: str) -> str:
    return html[html.index("<tbody>") + len("<tbody>") : html.index("</tbody>")]


@pytest.mark.parametrize("payload", HOSTILE)
def test_a_hostile_instrument_name_is_shown_as_text(alice, ada, robin, payload):
    defined = _define(ada, name=payload[:60])
    _upcoming(robin, alice)
    scheduling.schedule_set(client=robin, by=alice, every={defined.key: 1, "PHQ9": 1})
    assert len(scheduling.schedule_run(client_id=robin.id)) == 2

    html = _page(alice, robin)

    # The field's label and the link's row.
    assert_inert(html, payload[:60], times=2)
    assert _tbody(html).count("<tr>") == 2
    assert _tbody(html).count('name="csrfmiddlewaretoken"') == 2


def test_a_link_row_prints_as_before(alice, robin):
    session = _upcoming(robin, alice)
    scheduling.schedule_set(client=robin, by=alice, every={"GAD7": 1})
    (link,) = scheduling.schedule_run(client_id=robin.id)

    rows = _tbody(_page(alice, robin))

    local = session.starts_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', rows).group(1)
    assert rows.strip() == (
        "<tr>\n"
        '<th scope="row">GAD-7</th>\n'
        f'<td><a href="{session.get_absolute_url()}">'
        f"{local:%b} {local.day}, {local:%Y %H:%M}</a></td>\n"
        "<td>Open</td>\n"
        "<td>Waiting for you to copy</td>\n"
        f'<td><form method="post" action="{reverse("measures:link_copy", args=[link.code])}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        '<button type="submit">Show the link to copy</button></form></td>\n'
        "</tr>"
    )


def test_an_emailed_link_and_one_shown_already_have_no_copy_form(alice, robin):
    _upcoming(robin, alice)
    scheduling.schedule_set(client=robin, by=alice, every={"GAD7": 1, "PHQ9": 1})
    emailed, shown = scheduling.schedule_run(client_id=robin.id)
    mailed_at = timezone.now() - timedelta(hours=2)
    MeasureLink.objects.filter(pk=emailed.pk).update(mailed_at=mailed_at, held_token="")
    MeasureLink.objects.filter(pk=shown.pk).update(held_token="")

    rows = _tbody(_page(alice, robin))

    local = mailed_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    assert f"<td>Emailed {local:%b} {local.day}, {local:%H:%M}</td>" in rows
    assert "<td>Shown to copy</td>" in rows
    assert "<form" not in rows


def test_the_fields_print_the_django_templates_markup(alice, ada, robin):
    """The partial's fields (with errors, values and help) are those components/_field.html
    and components/_form_errors.html print with Django's own form renderer."""
    defined = _define(ada)
    data = {"every_PHQ9": "0", "every_GAD7": "4", f"every_{defined.key}": "x"}
    choices = scheduling.schedulable()

    django_form = ScheduleForm(data, schedulable=choices)
    django_html = Template(
        '{% include "components/_form_errors.html" %}'
        '{% for field in form %}{% include "components/_field.html" %}{% endfor %}'
    ).render(Context({"form": django_form}))
    jinja_form = ScheduleForm(data, schedulable=choices, renderer=_WIDGETS)
    jinja_html = (
        engines["jinja2"]
        .get_template("measures/_schedule_fields.html")
        .render({"form": jinja_form})
    )

    def tags(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())

    assert "field-error" in django_html and 'value="4"' in django_html
    assert tags(jinja_html) == tags(django_html)


def test_the_page_shows_the_schedule_and_the_practices_setting(alice, robin):
    scheduling.schedule_set(client=robin, by=alice, every={"PHQ9": 4})
    MeasuresPolicy.objects.update_or_create(
        pk=1, defaults={"email_scheduled_links": True}
    )

    html = _page(alice, robin)

    assert re.search(r'<input type="number" name="every_PHQ9" value="4"', html)
    assert 'name="every_GAD7" min="1"' in html  # not scheduled: no value
    assert "Links are emailed when the client has an email address" in html
    assert "None yet." in html


def test_the_pages_reads_are_one_round_trip_whatever_it_shows(alice, ada, robin):
    browser = signed_in(alice)
    url = reverse("measures:schedule", args=[robin.code])
    browser.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(url).status_code == 200
        return len(ctx.captured_queries)

    empty = count()
    for n in range(3):
        _upcoming(robin, alice, days=1 + n)
    defined = _define(ada)
    scheduling.schedule_set(
        client=robin, by=alice, every={"PHQ9": 1, "CHECKIN": 2, defined.key: 1}
    )
    scheduling.schedule_run(client_id=robin.id)
    assert MeasureLink.objects.count() >= 2
    assert count() == empty
    # What the page reads (schedules, links, the practice's instruments and setting) is
    # one of them: session, user, the client, the caseload check, the page, the audit.
    with CaptureQueriesContext(connection) as ctx:
        browser.get(url)
    reads = [q["sql"] for q in ctx.captured_queries if "measures_" in q["sql"]]
    assert len(reads) == 1
    assert all(
        table in reads[0]
        for table in (
            "measures_measureschedule",
            "measures_measurelink",
            "measures_practiceinstrument",
            "measures_measurespolicy",
        )
    )
