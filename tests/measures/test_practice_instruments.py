"""Instruments the practice defines: scoring at every band boundary, the admin's definition
(sudo mode, audited, refused with a message beside the field and what was typed kept),
completion by the clinician and by link, retirement, the schedule, and the label that says
what they are wherever they are shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from measures import practice_instruments, scheduling, services
from measures.forms import LinkForm
from measures.instruments import PRACTICE_NO_CHANGE, PRACTICE_STATUS
from measures.models import (
    Administration,
    MeasureLink,
    PracticeAdministration,
    PracticeInstrument,
)
from measures.scoring import score
from sessions.models import TherapySession
from tests.factories import make_session, mark_recently_authenticated
from tests.measures.conftest import answers_post, signed_in

pytestmark = pytest.mark.django_db
SCALE = ["Never", "Rarely", "Sometimes", "Often", "Always"]  # scored 0..4
BANDS = [(0, 3, "Low"), (4, 8, "Middle"), (9, 12, "High")]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def defined(ada):
    return practice_instruments.define(
        name="Felt Safety Scale",
        question="Over the last week, how often:",
        items=["I felt safe with others", "I could ask for help", "I slept well"],
        scale=SCALE,
        bands=BANDS,
        by=ada,
    )


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0, 0, 0], 0, "Low"),
        ([1, 1, 1], 3, "Low"),
        ([2, 1, 1], 4, "Middle"),
        ([4, 4, 0], 8, "Middle"),
        ([4, 4, 1], 9, "High"),
        ([4, 4, 4], 12, "High"),
    ],
)
def test_the_sum_falls_in_its_band_at_every_boundary(defined, answers, total, band):
    result = score(defined.spec, answers)
    assert (result.total, result.band.label, result.risk) == (total, band, False)


def test_a_missing_item_leaves_no_total_and_an_answer_off_the_scale_is_refused(defined):
    spec = defined.spec
    assert spec.max_total == 12
    missing = score(spec, [4, None, 4])
    assert (missing.total, missing.band, missing.unanswered) == (None, None, (2,))
    with pytest.raises(ValueError):
        score(spec, [5, 0, 0])
    with pytest.raises(ValueError):
        score(spec, [0, 0])


def test_without_bands_the_total_stands_alone(ada):
    bare = practice_instruments.define(
        name="Two Questions",
        question="",
        items=["One", "Two"],
        scale=["No", "Yes"],
        bands=[],
        by=ada,
    )
    assert [score(bare.spec, [a, b]).total for a, b in ((0, 0), (1, 0), (1, 1))] == [
        0,
        1,
        2,
    ]
    assert score(bare.spec, [1, 1]).band is None


def test_it_says_what_it_is_and_why_there_is_no_reliable_change(defined):
    spec = defined.spec
    assert spec.status == PRACTICE_STATUS and spec.is_practice
    assert spec.change is None and spec.no_change_reason == PRACTICE_NO_CHANGE
    assert defined.key.startswith("PI-") and len(defined.key) <= 10


def _admin_browser(ada) -> Client:
    browser = signed_in(ada)
    mark_recently_authenticated(browser, ada)
    return browser


FORM = {
    "name": "Felt Safety Scale",
    "question": "Over the last week, how often:",
    "items": "I felt safe with others\n\nI could ask for help\nI slept well\n",
    "scale": "\n".join(SCALE),
    "bands": "0-3 Low\n4-8 Middle\n9-12 High",
}


def test_the_admin_defines_an_instrument_in_sudo_mode(ada):
    url = reverse("measures:practice_instrument_create")
    assert signed_in(ada).get(url).status_code == 302  # re-authenticate first
    assert signed_in(ada).post(url, FORM).status_code == 302
    assert not PracticeInstrument.objects.exists()

    browser = _admin_browser(ada)
    assert browser.post(url, FORM).status_code == 302

    row = PracticeInstrument.objects.get()
    assert row.items == [
        "I felt safe with others",
        "I could ask for help",
        "I slept well",
    ]
    assert row.scale == SCALE and row.bands == [
        [0, 3, "Low"],
        [4, 8, "Middle"],
        [9, 12, "High"],
    ]
    event = AuditEvent.objects.get(action="practice_instrument.define")
    assert event.changes == {"items": 3, "options": 5, "bands": 3}
    page = browser.get(reverse("measures:practice_measures")).content.decode()
    assert "Felt Safety Scale" in page and PRACTICE_STATUS in page


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        ("bands", {"bands": "0-3 Low\n5-12 High"}, "should start at 4"),
        ("bands", {"bands": "0-3 Low\n3-12 High"}, "should start at 4"),
        ("bands", {"bands": "0-3 Low\n4-11 High"}, "the highest possible total is 12"),
        ("bands", {"bands": "low: 0 to 3"}, "is not “low-high label”"),
        ("items", {"items": "\n".join(f"Item {n}" for n in range(21))}, "At most 20"),
        ("items", {"items": "  \n "}, "Write at least one item."),
        ("scale", {"scale": "Only one"}, "Write 2 to 11 labels"),
        ("scale", {"scale": "Yes\nyes"}, "must differ"),
        ("name", {"name": "phq 9"}, "instrument the product provides"),
        ("name", {"name": "GAD-7"}, "instrument the product provides"),
        ("name", {"name": "x" * 61}, "under 60 characters"),
    ],
)
def test_a_bad_definition_is_refused_beside_its_field_and_kept(
    ada, field, change, message
):
    data = {**FORM, **change}
    response = _admin_browser(ada).post(
        reverse("measures:practice_instrument_create"), data
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html and message in html
    assert "Felt Safety Scale" in html or field == "name"
    assert not PracticeInstrument.objects.exists()


def test_two_instruments_may_not_share_a_name(ada, defined):
    response = _admin_browser(ada).post(
        reverse("measures:practice_instrument_create"),
        {**FORM, "name": "felt safety scale"},
    )
    assert response.status_code == 400
    assert "has an instrument of that name" in response.content.decode()


def test_clinicians_cannot_reach_the_admin_pages(alice, defined):
    browser = signed_in(alice)
    mark_recently_authenticated(browser, alice)
    assert (
        browser.get(reverse("measures:practice_instrument_create")).status_code == 404
    )
    retire = reverse("measures:practice_instrument_active", args=[defined.code])
    assert browser.post(retire, {"active": "0"}).status_code == 404


def test_the_clinician_completes_it_and_the_pages_say_what_it_is(alice, robin, defined):
    browser = signed_in(alice)
    chooser = browser.get(reverse("measures:practice_choose", args=[robin.code]))
    url = reverse("measures:administer_practice", args=[robin.code, defined.code])
    assert url in chooser.content.decode()

    form = browser.get(url).content.decode()
    assert "I felt safe with others" in form and PRACTICE_STATUS in form
    done = browser.post(url, answers_post([4, 4, 1]))
    admin = PracticeAdministration.objects.get()
    assert done.status_code == 302 and done["Location"] == admin.get_absolute_url()
    assert (admin.instrument_id, admin.total, admin.band) == (defined.key, 9, "B3")
    assert not Administration.objects.exists()  # kept apart from the standardised
    assert admin.band_label == "High" and admin.get_instrument_display() == defined.name

    detail = browser.get(admin.get_absolute_url()).content.decode()
    assert PRACTICE_STATUS in detail and PRACTICE_NO_CHANGE in detail
    # The label says where it comes from: the Sources page's entry for such questionnaires.
    sources_link = '<a class="source-link" href="/sources/#practice-instruments">'
    assert f"{sources_link}{PRACTICE_STATUS}</a>" in detail
    assert "9</strong> of 12" in detail
    browser.post(url, answers_post([0, 0, 0]))
    page = browser.get(robin.get_absolute_url()).content.decode()
    assert "Felt Safety Scale" in page and PRACTICE_STATUS.lower() in page
    assert f"{sources_link}{PRACTICE_STATUS.lower()}</a>" in page
    assert PRACTICE_NO_CHANGE in page


def test_the_client_completes_it_by_link(alice, robin, defined):
    form = LinkForm()
    assert defined.key in dict(form.fields["instrument"].choices)
    response = signed_in(alice).post(
        reverse("measures:link_create", args=[robin.code]),
        {"instrument": defined.key},
    )
    assert response.status_code == 200
    token = response.content.decode().split("/m/")[1].split("/")[0]

    client = Client()
    client.get(f"/m/{token}/")
    page = client.get("/m/questionnaire/").content.decode()
    assert "I could ask for help" in page and "Sometimes" in page
    assert PRACTICE_STATUS in page
    assert client.post("/m/questionnaire/", answers_post([0, 1, 2])).status_code == 302

    admin = PracticeAdministration.objects.get()
    assert (admin.instrument_id, admin.total, admin.mode) == (defined.key, 3, "LINK")
    assert admin.link.used_at is not None


def test_a_retired_instrument_is_not_offered_and_cannot_be_completed(
    ada, alice, robin, defined
):
    browser = _admin_browser(ada)
    retire = reverse("measures:practice_instrument_active", args=[defined.code])
    assert browser.post(retire, {"active": "0"}).status_code == 302
    defined.refresh_from_db()
    assert defined.active is False
    assert AuditEvent.objects.filter(action="practice_instrument.retire").exists()

    assert defined.key not in dict(LinkForm().fields["instrument"].choices)
    url = reverse("measures:administer_practice", args=[robin.code, defined.code])
    assert signed_in(alice).get(url).status_code == 404
    refused = signed_in(alice).post(
        reverse("measures:link_create", args=[robin.code]),
        {"instrument": defined.key},
    )
    assert refused.status_code == 400
    assert "Choose one of the questionnaires listed." in refused.content.decode()

    assert browser.post(retire, {"active": "1"}).status_code == 302
    defined.refresh_from_db()
    assert defined.active is True


def test_a_schedule_asks_it_and_stops_when_it_is_retired(alice, robin, defined):
    upcoming = make_session(
        robin,
        alice,
        starts_at=timezone.now() + timedelta(days=1),
        status=TherapySession.Status.SCHEDULED,
    )
    response = signed_in(alice).post(
        reverse("measures:schedule", args=[robin.code]),
        {f"every_{defined.key}": "1"},
    )
    assert response.status_code == 302
    (link,) = scheduling.schedule_run(client_id=robin.id)
    assert (link.instrument, link.session) == (defined.key, upcoming)

    practice_instruments.set_active(instrument=defined, active=False, by=alice)
    MeasureLink.objects.all().delete()
    assert scheduling.schedule_run(client_id=robin.id) == []


def test_the_csv_names_it_with_what_it_is(alice, robin, defined):
    services.administration_record(
        client=robin, instrument=defined.spec, answers=[4, 4, 4], by=alice
    )
    body = (
        signed_in(alice)
        .get(reverse("measures:measures_csv", args=[robin.code]))
        .content.decode()
    )
    assert f'Felt Safety Scale,"{PRACTICE_STATUS}"' in body and ",12,High," in body


def test_the_pages_stay_within_their_query_budget_whatever_the_number_of_instruments(
    ada, alice, robin, django_assert_max_num_queries
):
    for n in range(6):
        defined = practice_instruments.define(
            name=f"Scale {n}",
            question="",
            items=["One", "Two"],
            scale=["No", "Yes"],
            bands=[],
            by=ada,
        )
        services.administration_record(
            client=robin, instrument=defined.spec, answers=[1, n % 2], by=alice
        )
    admin_browser = _admin_browser(ada)
    clinician = signed_in(alice)
    pages = [
        (admin_browser, reverse("measures:practice_measures")),
        (admin_browser, reverse("measures:practice_instrument_create")),
        (clinician, reverse("measures:practice_choose", args=[robin.code])),
        (
            clinician,
            reverse("measures:administer_practice", args=[robin.code, defined.code]),
        ),
        (clinician, reverse("measures:link_create", args=[robin.code])),
        (clinician, reverse("measures:schedule", args=[robin.code])),
        (clinician, robin.get_absolute_url()),
    ]
    for browser, url in pages:
        browser.get(url)
        with django_assert_max_num_queries(10):
            assert browser.get(url).status_code == 200, url
