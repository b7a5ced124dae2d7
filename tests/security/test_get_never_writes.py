"""GET never writes the clinical record.

Session cookies are SameSite=Lax, so a link on another site (or an <img> in an email) makes the
browser send a signed-in clinician's cookies with a GET. If any GET created or changed a
row of the record (the way opening the note editor used to create an empty progress note,
and the psychotherapy-note page an empty process note), anyone could write into a chart by
sending a link. Here every URL pattern of the project is fetched with GET by every persona,
against a world with every kind of object, and every table of the clinical apps is
fingerprinted (row count and a digest of every row's full text, so an updated_at that moves
shows too) before and after each URL. Audit events, sign-in sessions and lockout rows may grow:
they are not the record.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from tests.factories import make_note, make_session, mark_recently_authenticated
from tests.security.authz_world import build_world, url_kwargs
from tests.urlwalk import _walk

pytestmark = pytest.mark.django_db
PERSONAS = ("alice", "bob", "charlie", "ada")
CLINICAL_APPS = ("clients", "therapy_sessions", "disclosures", "measures")
PATTERNS = {r.name: r.path for r in _walk(get_resolver().url_patterns)}
# Visitors without an account: they have no cookies to abuse.
PUBLIC_ONLY = {"accept_invitation", "measure_link_open", "measure_link_thanks"}
# Last, so that the walk is not cut short if the page ever ended the session on GET.
LAST = ("account_logout",)


def _clinical_tables() -> list[tuple[str, str]]:
    tables = []
    for label in CLINICAL_APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:  # an app this version does not have
            continue
        for model in config.get_models(include_auto_created=True):
            tables.append((model._meta.db_table, model._meta.pk.column))
    return sorted(set(tables))


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Per clinical table: its row count and an md5 of all its rows' text in key order."""
    qn = connection.ops.quote_name
    prints = {}
    with connection.cursor() as cursor:
        for table, pk in _clinical_tables():
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' "
                f"ORDER BY t.{qn(pk)}), '')) FROM {qn(table)} t"
            )
            prints[table] = tuple(cursor.fetchone())
    return prints


def _worlds(personas):
    """The authorization world, and the same world pointed at a session with no note of any
    kind yet (where opening a note used to create one) and at a session with a draft."""
    world = build_world(*(personas[p] for p in PERSONAS))
    alice = personas["alice"]
    fresh = make_session(
        world.client, alice, starts_at=timezone.now() - timedelta(hours=2)
    )
    drafted = make_session(
        world.client, alice, starts_at=timezone.now() - timedelta(hours=4)
    )
    make_note(drafted)
    return [
        world,
        dataclasses.replace(world, session=fresh),
        dataclasses.replace(world, session=drafted),
    ]


def _urls(worlds) -> list[str]:
    names = sorted(
        (n for n in PATTERNS if n not in PUBLIC_ONLY),
        key=lambda n: (n in LAST, n),
    )
    urls = []
    for name in names:
        for world in worlds:
            kwargs = url_kwargs(name, PATTERNS[name], world) or None
            url = reverse(name, kwargs=kwargs)
            if url not in urls:
                urls.append(url)
    return urls


def test_the_fingerprint_sees_a_change_in_any_column(personas):
    """The detector itself: a moved updated_at alone, with the count unchanged, is seen."""
    from sessions.models import ProgressNote

    world = build_world(*(personas[p] for p in PERSONAS))
    note = make_note(make_session(world.client, personas["alice"]))
    before = _fingerprint()
    ProgressNote.objects.filter(pk=note.pk).update(
        updated_at=note.updated_at + timedelta(seconds=1)
    )
    after = _fingerprint()
    changed = [t for t in before if before[t] != after[t]]
    assert changed == [ProgressNote._meta.db_table]
    assert before[changed[0]][0] == after[changed[0]][0]


def test_the_walk_covers_every_url_and_the_clinical_tables(personas):
    worlds = _worlds(personas)
    urls = _urls(worlds)
    for name in PATTERNS.keys() - PUBLIC_ONLY:
        assert any(
            url == reverse(name, kwargs=url_kwargs(name, PATTERNS[name], w) or None)
            for w in worlds
            for url in urls
        ), name
    # The pages that used to write on GET are walked on the session without notes.
    fresh = worlds[1].session
    assert reverse("sessions:note_edit", args=[fresh.code]) in urls
    assert reverse("sessions:process_note", args=[fresh.code]) in urls
    tables = {t for t, _ in _clinical_tables()}
    assert {
        "clients_client",
        "therapy_sessions_progressnote",
        "therapy_sessions_psychotherapynote",
        "disclosures_disclosure",
    } <= tables


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_get_creates_or_changes_a_clinical_row(personas, persona):
    worlds = _worlds(personas)
    urls = _urls(worlds)
    user = personas[persona]
    browser = Client()
    browser.force_login(user)
    # Sudo mode passed, so that exports and sudo pages run their view.
    mark_recently_authenticated(browser, user)
    before = _fingerprint()
    writes = []
    for url in urls:
        response = browser.get(url)
        assert response.status_code < 500, (url, response.status_code)
        after = _fingerprint()
        changed = sorted(t for t in after if after[t] != before[t])
        if changed:
            writes.append((url, changed))
            before = after
    assert not writes, f"GET by {persona} wrote clinical rows: {writes}"
