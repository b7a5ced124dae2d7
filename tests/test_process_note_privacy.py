"""A psychotherapy (process) note is its author's alone (HIPAA 45 CFR 164.501).

A unique sentinel string is planted in Alice's process note. Then every page and fragment the
project routes is fetched by every persona, with the real codes of the objects around the note
substituted into each URL, as a full page and as an htmx fragment. The sentinel may appear on
one response only: Alice's own process-note page.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from sessions.models import PsychotherapyNote
from sessions.notes import services as services
from tests.factories import make_client, make_note, make_session
from tests.urlwalk import SAMPLE, all_routes

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-" + uuid.uuid4().hex


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def sign(note, by):
    from sessions.models import ProgressNote

    note = ProgressNote.objects.select_related("session", "client", "author").get(
        pk=note.pk
    )
    return services.note_sign(note=note, by=by)


@pytest.fixture
def planted(alice, bob):
    from clients.models import TreatmentGoal

    alices_client = make_client(alice, legal_name="Jamie Rivers")
    alices_session = make_session(alices_client, alice)
    second_session = make_session(
        alices_client, alice, starts_at=timezone.now() - timedelta(days=1)
    )
    goal = TreatmentGoal.objects.create(
        client=alices_client, created_by=alice, text="Notice overwhelm early."
    )
    signed = services.note_cosign(note=sign(make_note(alices_session), alice), by=bob)
    services.addendum_add(note=signed, by=alice, text="A later addition.")
    services.comment_add(note=signed, by=bob, text="A supervision comment.")
    awaiting = sign(make_note(second_session), alice)
    today = make_session(
        alices_client, alice, status="SCHEDULED", starts_at=timezone.now()
    )
    pnote = services.process_note_open(session=alices_session, by=alice)
    services.process_note_save(
        pnote=pnote, by=alice, text=f"My private hunch: {SENTINEL}", version=1
    )
    services.process_note_open(session=second_session, by=alice)
    codes = [
        alices_client.code,
        alices_session.code,
        second_session.code,
        today.code,
        signed.code,
        awaiting.code,
        goal.code,
        pnote.code,
        alice.code,
        bob.code,
    ]
    return {"codes": [str(c) for c in codes], "session": alices_session}


def _urls(codes):
    """Every routed URL, with each real code put in place of its UUID parameters."""
    urls = set()
    uuid_sample = SAMPLE["uuid"]
    for route in all_routes():
        if route.name in ("account_logout",):
            continue
        if uuid_sample in route.path:
            for code in codes:
                urls.add(route.path.replace(uuid_sample, code))
        else:
            urls.add(route.path)
    return sorted(urls)


def test_the_sentinel_appears_only_on_the_authors_process_note_page(
    client, personas, planted
):
    own_page = reverse("sessions:process_note", args=[planted["session"].code])
    urls = _urls(planted["codes"])
    assert own_page in urls
    seen_on = []
    fetched = 0
    # A page that fails (another feature's bug) shows no content, so it cannot leak; it
    # must not stop the walk over the others either.
    client.raise_request_exception = False
    for name, user in personas.items():
        client.force_login(user)
        for url in urls:
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                fetched += 1
                if SENTINEL in _body(response):
                    seen_on.append((name, url, bool(headers)))
        client.logout()
    assert fetched > 100
    assert set(seen_on) == {("alice", own_page, False), ("alice", own_page, True)}, (
        seen_on
    )


def test_the_sentinel_is_not_in_the_audit_trail_or_in_clear_in_the_database(planted):
    from django.db import connection

    assert not any(
        SENTINEL in str(changes)
        for changes in AuditEvent.objects.values_list("changes", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT text FROM {PsychotherapyNote._meta.db_table} WHERE text <> ''"
        )
        for (token,) in cursor.fetchall():
            assert SENTINEL not in token
            assert re.match(r"^v2:[^:]+:", token)
