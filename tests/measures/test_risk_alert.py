"""Item 9 above 0 raises a risk alert at once; it stays first on the home pages until a
clinician on the caseload records what was done."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from measures import services
from measures.instruments import PHQ9
from measures.models import RiskAlert
from tests.factories import make_supervision, make_user
from tests.measures.conftest import answers_post, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _client_completes_with_item_9(alice, robin, value=2):
    _, token = services.link_create(client=robin, instrument=PHQ9, by=alice)
    browser = Client()
    browser.get(f"/m/{token}/")
    return browser.post("/m/questionnaire/", answers_post([0] * 8 + [value]))


def test_end_to_end_link_alert_home_acknowledge(
    alice, bob, robin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _client_completes_with_item_9(alice, robin)
    alert = RiskAlert.objects.get()
    ack_url = reverse("measures:alert_acknowledge", args=[alert.code])

    # The therapist was emailed, without clinical content.
    (message,) = mailoutbox
    assert message.to == [alice.email]
    assert (
        message.subject == "A questionnaire completed by a client needs your attention"
    )
    assert ack_url in message.body
    for secret in ("Robin", "Roberta", "PHQ", "item", "dead"):
        assert secret not in message.body + message.subject

    # Alice's home shows it first, before the day's sessions.
    home = signed_in(alice).get("/").content.decode()
    assert ack_url in home
    assert home.index(ack_url) < home.index('id="today-h"')
    # Bob supervises Alice with co-signature (an associate): his home shows it too.
    assert ack_url in signed_in(bob).get("/").content.decode()

    # Bob may read it but not close it.
    assert signed_in(bob).post(ack_url, {"action_taken": "x"}).status_code == 403

    # An empty acknowledgement is refused beside the field.
    browser = signed_in(alice)
    empty = browser.post(ack_url, {"action_taken": "   "})
    assert empty.status_code == 400
    assert "Write what was done before closing the alert." in empty.content.decode()
    assert RiskAlert.objects.get().acknowledged_at is None

    done = browser.post(
        ack_url, {"action_taken": "Called Robin; safety plan reviewed."}
    )
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == alice
    assert alert.action_taken == "Called Robin; safety plan reviewed."
    assert ack_url not in browser.get("/").content.decode()
    assert ack_url not in signed_in(bob).get("/").content.decode()

    actions = set(
        AuditEvent.objects.filter(client_code=robin.code).values_list(
            "action", flat=True
        )
    )
    assert {
        "measure_link.create",
        "measure.complete_by_link",
        "risk_alert.raise",
        "risk_alert.notify",
        "risk_alert.acknowledge",
    } <= actions


def test_the_action_taken_is_encrypted_at_rest(alice, robin):
    _client_completes_with_item_9(alice, robin)
    alert = RiskAlert.objects.get()
    services.risk_alert_acknowledge(alert=alert, by=alice, action_taken="Safety plan")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT action_taken FROM measures_riskalert")
        (raw,) = cursor.fetchone()
    assert "Safety plan" not in raw


def test_a_supervisor_without_cosignature_does_not_get_the_alert_on_home(alice, robin):
    sam = make_user(email="sam@example.org", full_name="Sam Super", role="SUPERVISOR")
    make_supervision(sam, alice, requires_cosignature=False)
    _client_completes_with_item_9(alice, robin)
    alert = RiskAlert.objects.get()
    home = signed_in(sam).get("/").content.decode()
    assert reverse("measures:alert_acknowledge", args=[alert.code]) not in home


def test_strangers_never_see_the_alert(alice, charlie, ada, robin):
    _client_completes_with_item_9(alice, robin)
    alert = RiskAlert.objects.get()
    url = reverse("measures:alert_acknowledge", args=[alert.code])
    for user in (charlie, ada):
        assert url not in signed_in(user).get("/").content.decode()
        assert signed_in(user).get(url).status_code == 404
        assert signed_in(user).post(url, {"action_taken": "x"}).status_code == 404


def test_no_alert_when_item_9_is_zero(alice, robin):
    _client_completes_with_item_9(alice, robin, value=0)
    assert not RiskAlert.objects.exists()


def test_a_redelivered_alert_email_is_sent_once(alice, robin, mailoutbox):
    _client_completes_with_item_9(alice, robin)
    alert = RiskAlert.objects.get()
    from measures.tasks import risk_alert_notify

    assert risk_alert_notify.apply(args=[alert.pk]).get() == 1
    assert risk_alert_notify.apply(args=[alert.pk]).get() == 0
    assert len(mailoutbox) == 1
