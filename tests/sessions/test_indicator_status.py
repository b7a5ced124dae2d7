"""Each indicator's instrument status is read from the indicator wherever its values are shown
(ratings form, session timeline, client page, trajectory, caseload); no template spells a
status label itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from dashboards import services as rollups
from sessions.capture import services as services
from sessions.models import InstrumentStatus, IntegrationIndicator

pytestmark = pytest.mark.django_db

ADAPTED = "Adapted from a research instrument"


def test_no_template_hard_codes_a_status_label():
    """A status label typed into a template would not follow its indicator."""
    words = [label.lower() for label in InstrumentStatus.labels] + [
        "clinician-rated",
        "non-standardised",
        "validated instrument",
    ]
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text().lower()
        offenders += [f"{path.name}: {w}" for w in words if w in text]
    assert offenders == []


@pytest.fixture
def relabelled(alice, alices_session):
    """Flexible's status changes in the database alone: every page must follow it."""
    IntegrationIndicator.objects.filter(code="flexible").update(
        instrument_status=InstrumentStatus.VALIDATED_RESEARCH_ADAPTED
    )
    flexible = IntegrationIndicator.objects.get(code="flexible")
    stable = IntegrationIndicator.objects.get(code="stable")
    services.ratings_save(
        session=alices_session, values={flexible.id: 3, stable.id: 2}, by=alice
    )
    rollups.rollup_refresh_client(client_id=alices_session.client_id)
    return alices_session


def _status_beside(html: str, label: str) -> str:
    """The status link that follows an indicator's label on the page."""
    match = re.search(
        re.escape(label) + r".{0,400}?<a class=\"status-label\"[^>]*>([^<]+)</a>",
        html,
        re.S,
    )
    assert match, label
    return match.group(1)


def test_the_ratings_form_shows_each_indicators_own_status(client, alice, relabelled):
    client.force_login(alice)
    html = client.get(
        reverse("sessions:ratings", args=[relabelled.code])
    ).content.decode()
    assert _status_beside(html, "<legend>Flexible") == ADAPTED
    assert _status_beside(html, "<legend>Stable") == "Clinician-rated, non-standardised"


def test_the_session_and_client_pages_follow_the_indicator(client, alice, relabelled):
    client.force_login(alice)
    for url in (
        reverse("sessions:session_detail", args=[relabelled.code]),
        reverse("clients:client_detail", args=[relabelled.client.code]),
    ):
        html = client.get(url).content.decode()
        assert _status_beside(html, "Flexible</") == ADAPTED, url
        assert _status_beside(html, "Stable</") == "Clinician-rated, non-standardised"


def test_the_trajectory_and_caseload_follow_the_indicator(client, alice, relabelled):
    client.force_login(alice)
    url = reverse("dashboards:trajectory", args=[relabelled.client.code])
    html = client.get(url).content.decode()
    # The data table's column header of each indicator carries its status.
    assert _status_beside(html, 'class="num">Flexible') == ADAPTED
    assert (
        _status_beside(html, 'class="num">Stable')
        == "Clinician-rated, non-standardised"
    )
    # The composite's explanation groups its members by status.
    assert (
        f'Flexible (<a class="status-label" href="/sources/#status-validated-research-adapted">{ADAPTED}</a>)'
        in html
    )
    html = client.get(reverse("dashboards:caseload")).content.decode()
    assert (
        f'Flexible (<a class="status-label" href="/sources/#status-validated-research-adapted">{ADAPTED}</a>)'
        in html
    )


def test_an_indicator_the_practice_adds_is_labelled_as_its_own(client, ada):
    services.indicator_create(
        data={"code": "mindsight-insight", "group": "FACES", "label": "Insight"}, by=ada
    )
    client.force_login(ada)
    html = client.get(reverse("sessions:indicator_list")).content.decode()
    assert _status_beside(html, ">Insight</a>") == "Defined by the practice"
    assert 'href="/sources/#practice-defined">Defined by the practice' in html
