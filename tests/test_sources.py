"""The Sources page lists every concept and instrument with its authors, references and what
is and is not validated; every status label and attribution links to an anchor that exists
there, and the repair rate's "Tronick" carries its caveat wherever it appears."""

from __future__ import annotations

import html as htmlmod
import re

import pytest
from django.urls import reverse

from dashboards import services as rollups
from ipnb_notes import sources
from sessions.capture import services as capture
from sessions.models import InstrumentStatus, IntegrationIndicator
from tests.dashboards.helpers import attune, rate_composite
from tests.factories import make_client, make_session

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="/sources/#([^"]+)"')


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page))


def test_every_signed_in_user_reads_every_source(client, personas):
    for user in personas.values():
        client.force_login(user)
        response = client.get(reverse("sources"))
        assert response.status_code == 200
        page = htmlmod.unescape(response.content.decode())
        for source in sources.SOURCES:
            assert f'id="{source.anchor}"' in page
            for text in (
                source.title,
                source.authors,
                source.validated,
                source.not_validated,
            ):
                assert text in page
            for reference in source.references:
                assert reference in page
        for code, label in InstrumentStatus.choices:
            assert f'id="{sources.status_anchor(code)}"' in page and label in page


def test_every_indicator_group_and_status_has_a_source():
    for group in IntegrationIndicator.Group.values:
        assert (
            sources.indicator_anchor(group, "CLINICIAN_CONCEPTUAL") in sources.BY_ANCHOR
        )
    for status in InstrumentStatus.values:
        sources.url(sources.status_anchor(status))


def test_a_link_to_a_missing_source_is_refused():
    with pytest.raises(ValueError, match="No source"):
        sources.url("faces-total-score")
    from ipnb_notes.templatetags.sources import source_link

    with pytest.raises(ValueError):
        source_link("tronick-validated", "Tronick")


@pytest.fixture
def pages(alice, bob, ada):
    """Every page that shows an indicator, a status label or an attribution."""
    rec = make_client(alice)
    sess = make_session(rec, alice)
    rate_composite(sess, 3)
    attune(sess, "MISMATCH")
    attune(sess, "REPAIR")
    rollups.rollup_refresh_client(client_id=rec.id)
    capture.indicator_create(
        data={"code": "own", "group": "PRACTICE", "label": "Own"}, by=ada
    )
    return [
        (alice, reverse("sessions:ratings", args=[sess.code])),
        (alice, reverse("sessions:capture", args=[sess.code])),
        (alice, reverse("sessions:capture_summary", args=[sess.code])),
        (alice, reverse("sessions:session_detail", args=[sess.code])),
        (alice, reverse("clients:client_detail", args=[rec.code])),
        (alice, reverse("dashboards:trajectory", args=[rec.code])),
        (alice, reverse("dashboards:caseload")),
        (bob, reverse("dashboards:supervision")),
        (ada, reverse("sessions:indicator_list")),
        (ada, reverse("sessions:indicator_edit", args=["own"])),
        (ada, reverse("sessions:indicator_edit", args=["flexible"])),
    ]


def test_every_label_links_to_an_existing_anchor(client, alice, pages):
    client.force_login(alice)
    anchors = _ids(client.get(reverse("sources")).content.decode())
    labels = list(InstrumentStatus.labels)
    for user, url in pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        links = LINK.findall(page)
        assert links, url
        assert set(links) <= anchors, (url, set(links) - anchors)
        # Every status label on the page is the text of a link to the Sources page.
        for label in labels:
            shown = page.count(label)
            linked = len(
                re.findall(r'href="/sources/#[^"]+">' + re.escape(label) + "</a>", page)
            )
            assert shown == linked, (url, label)


def test_tronick_always_carries_its_caveat(client, alice, pages):
    caveat = sources.BY_ANCHOR["repair-rate"].caveat
    assert (
        caveat == "descriptive, not validated for adult psychotherapy"
    )  # DOMAIN.md 3.2
    seen = 0
    for user, url in pages:
        client.force_login(user)
        page = client.get(url).content.decode()
        for match in re.finditer("Tronick", page):
            seen += 1
            assert caveat in page[match.end() : match.end() + 120], url
        if "Repair rate" in page:
            assert caveat in page, url
    assert seen
