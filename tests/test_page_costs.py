"""What the trajectory and the homes no longer do per request, and that the cheaper way still
shows the same thing: the Sources link of each indicator is reversed once per anchor (and
still follows the script prefix the site is served under), and the home's lists read only
the columns their rows show (the note's clinical text stays unread) yet show the same rows."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from dashboards import services as rollups
from ipnb_notes import sources
from sessions.models import IntegrationIndicator, IntegrationRating
from sessions.notes.services import home_context
from sessions.notes.services.home import DraftRow, QueueRow
from tests.factories import make_client, make_note, make_session
from tests.sessions.conftest import sign

pytestmark = pytest.mark.django_db


def test_the_trajectory_reverses_the_sources_url_once_per_anchor(client, alice):
    patient = make_client(alice)
    indicators = list(
        IntegrationIndicator.objects.filter(retired_at__isnull=True).order_by("pk")[:6]
    )
    assert len(indicators) >= 3
    for i in range(3):
        session = make_session(
            patient, alice, starts_at=timezone.now() - timedelta(days=7 * (i + 1))
        )
        for indicator in indicators:
            IntegrationRating.objects.create(
                session=session, indicator=indicator, value=3, rated_by=alice
            )
    rollups.rollup_refresh_client(client_id=patient.id)
    client.force_login(alice)
    url = reverse("dashboards:trajectory", args=[patient.code])
    sources._url.cache_clear()
    with mock.patch.object(sources, "reverse", wraps=sources.reverse) as spy:
        first = client.get(url)
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    page = second.content.decode()
    for indicator in indicators:
        anchor = sources.indicator_anchor(indicator.group, indicator.instrument_status)
        assert f'href="/sources/#{anchor}"' in page
    # One reverse per distinct anchor over both requests, not one per link per request.
    links = re.findall(r'href="/sources/#([^"]+)"', page)
    assert len(links) > len(set(links))  # the page repeats links: the cache is tried
    assert {call.args[0] for call in spy.call_args_list} == {"sources"}
    assert spy.call_count <= len(set(links))


def test_a_sources_link_follows_the_script_prefix():
    try:
        set_script_prefix("/notes/")
        assert sources.url("faces") == "/notes/sources/#faces"
    finally:
        set_script_prefix("/")
    assert sources.url("faces") == "/sources/#faces"


def test_an_unknown_anchor_is_still_refused_after_links_were_cached():
    sources.url("faces")
    with pytest.raises(ValueError, match="No source"):
        sources.url("faces<script>")


def test_the_co_signature_queue_reads_no_clinical_text_and_shows_its_rows(
    client, alice, bob
):
    alice.full_name = "Alice <b>Therapist</b>"
    alice.save(update_fields=["full_name"])
    patient = make_client(alice, preferred_name="Sam <i>")
    note = sign(
        make_note(
            make_session(patient, alice, starts_at=timezone.now() - timedelta(days=3))
        ),
        alice,
    )
    queue = home_context(bob)["cosign_queue"]
    assert [n.code for n in queue] == [note.code]
    # Plain rows of the columns shown: the sections, the note's encrypted clinical text,
    # are not read for a list row.
    assert isinstance(queue[0], QueueRow)
    assert set(QueueRow._fields) == {
        "code",
        "signed_at",
        "starts_at",
        "client",
        "author",
    }
    assert queue[0].author == "Alice <b>Therapist</b>"
    client.force_login(bob)
    page = client.get(reverse("home")).content.decode()
    assert "Alice &lt;b&gt;Therapist&lt;/b&gt;" in page
    assert "Sam &lt;i&gt;" in page
    assert reverse("sessions:note_detail", args=[note.code]) in page


def test_the_therapist_home_lists_read_only_their_columns(client, alice):
    patient = make_client(alice)
    now = timezone.now()
    unwritten = make_session(patient, alice, starts_at=now - timedelta(days=4))
    drafted = make_session(patient, alice, starts_at=now - timedelta(days=2))
    draft = make_note(drafted)
    context = home_context(alice)
    assert [s.pk for s in context["to_write"]] == [unwritten.pk]
    assert [n.code for n in context["drafts"]] == [draft.code]
    # Plain rows of the columns shown, never the note's sections.
    assert isinstance(context["drafts"][0], DraftRow)
    assert not context["drafts"][0].is_late
    assert context["to_write"][0].is_late
    client.force_login(alice)
    page = client.get(reverse("home")).content.decode()
    assert reverse("sessions:note_edit", args=[unwritten.code]) in page
    assert reverse("sessions:note_edit", args=[drafted.code]) in page


def test_the_home_reads_its_emergency_notices_in_its_batch(client, alice, charlie):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clients.models import EmergencyAccess

    patient = make_client(alice, legal_name="Robin Quay")
    make_session(patient, alice, starts_at=timezone.now() - timedelta(days=4))
    now = timezone.now()
    EmergencyAccess.objects.create(
        user=charlie,
        client=patient,
        reason="On call <b>overnight</b>",
        granted_at=now - timedelta(hours=1),
        expires_at=now + timedelta(hours=1),
    )
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("home")).content.decode()
    assert "On call &lt;b&gt;overnight&lt;/b&gt;" in page
    notice_reads = [
        q["sql"] for q in queries.captured_queries if "emergencyaccess" in q["sql"]
    ]
    # Every statement naming the grants is the home's batch (it also reads the sessions).
    assert notice_reads
    assert all("therapysession" in sql for sql in notice_reads)
