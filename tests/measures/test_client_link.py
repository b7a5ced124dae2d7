"""The client's one-time link, attacked with real requests: reuse, expiry, revocation, a
guessed token, flooding, reading the answers back, and a token left in the URL."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from measures import services
from measures.instruments import GAD7, PHQ9
from measures.models import Administration, MeasureLink
from tests.measures.conftest import answers_post, signed_in

pytestmark = pytest.mark.django_db
QUESTIONNAIRE = "/m/questionnaire/"
INVALID = "This link is no longer valid"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _open(token: str) -> Client:
    browser = Client()
    first = browser.get(f"/m/{token}/")
    assert first.status_code == 302 and first["Location"] == QUESTIONNAIRE
    return browser


def _link(alice, robin, spec=PHQ9):
    return services.link_create(client=robin, instrument=spec, by=alice)


def test_the_therapist_creates_a_link_shown_once_and_stored_hashed(alice, robin):
    response = signed_in(alice).post(
        reverse("measures:link_create", args=[robin.code]), {"instrument": "GAD7"}
    )
    html = response.content.decode()
    link = MeasureLink.objects.get()
    token = html.split("/m/")[1].split("/")[0]
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert (
        link.token_hash == services.hash_token(token) and token not in link.token_hash
    )
    assert abs(link.expires_at - link.created_at - timedelta(days=7)) < timedelta(
        seconds=1
    )
    assert AuditEvent.objects.filter(action="measure_link.create").exists()


def test_the_token_leaves_the_url_at_the_first_request(alice, robin):
    _, token = _link(alice, robin)
    browser = _open(token)
    page = browser.get(QUESTIONNAIRE)
    assert page.status_code == 200
    assert token not in page.content.decode()


def test_the_page_shows_nothing_identifying_but_practice_and_first_name(
    alice, robin, settings
):
    settings.PRACTICE_NAME = "Riverside Therapy"
    _, token = _link(alice, robin)
    html = _open(token).get(QUESTIONNAIRE).content.decode()
    assert "Riverside Therapy" in html and "Hello Robin" in html
    for secret in ("Roberta", "Quill", "Hargreave", alice.full_name, alice.email):
        assert secret not in html
    assert PHQ9.items[0] in html and PHQ9.attribution in html
    assert html.count("<fieldset") == 9 and html.count("<legend>") == 9


def test_completion_scores_closes_the_link_and_thanks(alice, robin):
    _, token = _link(alice, robin, GAD7)
    browser = _open(token)
    done = browser.post(QUESTIONNAIRE, answers_post([1, 1, 1, 1, 1, 1, 1]))
    assert done.status_code == 302 and done["Location"] == "/m/thank-you/"
    assert "Thank you" in browser.get(done["Location"]).content.decode()
    admin = Administration.objects.get()
    assert (admin.total, admin.band, admin.mode) == (7, "MILD", "LINK")
    assert MeasureLink.objects.get().used_at is not None
    assert AuditEvent.objects.filter(action="measure.complete_by_link").exists()


def test_a_used_link_cannot_be_reopened_or_read_back(alice, robin):
    _, token = _link(alice, robin, GAD7)
    browser = _open(token)
    browser.post(QUESTIONNAIRE, answers_post([3, 3, 3, 3, 3, 3, 3]))
    # The same browser, the questionnaire page, and the original link: all neutral.
    again = browser.get(QUESTIONNAIRE)
    reopened = Client().get(f"/m/{token}/")
    for response in (again, reopened):
        assert response.status_code == 404
        html = response.content.decode()
        assert INVALID in html and "Nearly every day" not in html
    assert browser.post(QUESTIONNAIRE, answers_post([0] * 7)).status_code == 404
    assert Administration.objects.count() == 1


def test_a_second_tab_cannot_submit_twice(alice, robin):
    _, token = _link(alice, robin, GAD7)
    first, second = _open(token), _open(token)
    first.post(QUESTIONNAIRE, answers_post([1] * 7))
    assert second.post(QUESTIONNAIRE, answers_post([2] * 7)).status_code == 404
    assert Administration.objects.get().total == 7


def test_an_expired_link_is_refused(alice, robin):
    link, token = _link(alice, robin)
    MeasureLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = Client().get(f"/m/{token}/")
    assert response.status_code == 404 and INVALID in response.content.decode()


def test_a_link_expiring_while_open_is_refused_on_submit(alice, robin):
    link, token = _link(alice, robin, GAD7)
    browser = _open(token)
    MeasureLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert browser.post(QUESTIONNAIRE, answers_post([1] * 7)).status_code == 404
    assert not Administration.objects.exists()


def test_a_revoked_link_is_refused(alice, robin):
    link, token = _link(alice, robin)
    signed_in(alice).post(reverse("measures:link_revoke", args=[link.code]))
    assert MeasureLink.objects.get().revoked_at is not None
    assert Client().get(f"/m/{token}/").status_code == 404


def test_a_wrong_token_gets_the_same_neutral_page(alice, robin):
    _link(alice, robin)
    for token in ("x" * 43, "questionnaire", "a" * 500):
        response = Client().get(f"/m/{token}/")
        assert response.status_code == 404
        assert INVALID in response.content.decode()


def test_one_address_is_rate_limited(alice, robin):
    browser = Client()
    # Fixed one-minute windows: the clock stands still so that the run stays in one.
    with time_machine.travel(time.time(), tick=False):
        codes = [browser.get(f"/m/guess{n}/").status_code for n in range(25)]
    assert codes[:20] == [404] * 20
    assert set(codes[20:]) == {429}
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get("/m/guess/").status_code == 404


def test_the_email_carries_the_practice_and_the_link_only(
    alice, robin, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.PRACTICE_NAME = "Riverside Therapy"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(alice).post(
            reverse("measures:link_create", args=[robin.code]),
            {"instrument": "PHQ9", "email": "robin@example.org"},
        )
    token = response.content.decode().split("/m/")[1].split("/")[0]
    (message,) = mailoutbox
    assert message.to == ["robin@example.org"]
    assert f"/m/{token}/" in message.body and "Riverside Therapy" in message.body
    for secret in ("Robin", "Roberta", "PHQ", "depress", alice.full_name):
        assert secret not in message.body + message.subject
    link = MeasureLink.objects.get()
    assert link.mail_token == "" and link.mail_to == "" and link.mailed_at
    assert AuditEvent.objects.filter(action="measure_link.email_sent").exists()
    # A redelivered task sends nothing twice.
    assert services.measure_link_send(link_id=link.pk) is False


def test_a_bad_email_address_is_flagged_beside_the_field(alice, robin):
    response = signed_in(alice).post(
        reverse("measures:link_create", args=[robin.code]),
        {"instrument": "PHQ9", "email": "robin at example"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter an email address such as name@example.org." in html
    assert 'value="robin at example"' in html
    assert not MeasureLink.objects.exists()
