"""Every page that shows one client's record writes an audit event naming that client
(AUD-01), for each persona allowed to read it: found by walking the URL table."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import mark_recently_authenticated
from tests.security.authz_world import TARGETS, build_world, url_kwargs
from tests.security.test_authz_matrix import EXPECTED, PATTERNS, PERSONAS

pytestmark = pytest.mark.django_db

RECORD_PAGES = sorted(
    name
    for name, (get, _post) in EXPECTED.items()
    if TARGETS.get(name) in {"client", "session", "note", "goal"}
    and "A" in get
    and not name.startswith("clients:assign")  # names and assignments only, no record
)


@pytest.mark.parametrize("name", RECORD_PAGES)
def test_each_read_of_a_record_is_audited_with_its_client(name, personas):
    world = build_world(*(personas[p] for p in PERSONAS))
    url = reverse(name, kwargs=url_kwargs(name, PATTERNS[name], world))
    get = EXPECTED[name][0]
    for index, persona in enumerate(PERSONAS):
        if get[index] != "A":
            continue
        browser = Client()
        browser.force_login(personas[persona])
        mark_recently_authenticated(browser, personas[persona])
        before = (
            AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        )
        response = browser.get(url)
        assert response.status_code == 200, (persona, response.status_code)
        events = AuditEvent.objects.filter(seq__gt=before or 0, actor=personas[persona])
        assert events.filter(client_code=world.client.code).exists(), (
            f"{persona} read {name} without an audit event naming the client"
        )
