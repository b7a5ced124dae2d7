"""Caches never carry one user's data or counters to another.

The caches in the app: the shared Django cache (rate limits per address, allauth's failed
sign-in limit per address, used TOTP codes per user), two process-wide lru_caches of settings
(the field key ring, the release PDF's font) and one of URL patterns (the client page's
links, ipnb_notes.links), the dashboards' precomputed summaries (per client and per
clinician, read after the access check) and the compiled Jinja2 partials that render them;
every response to a signed-in user tells browsers and proxies to keep nothing.
There is no template fragment caching and no per-request memo holding clinical data (the
access rules' caseload subqueries are kept for one request and one user: SQL, never rows).
The baked statements (ipnb_notes.batch.Baked) are kept per process and per shape of reader:
SQL built with stand-in values, never a user's values or rows."""

from __future__ import annotations

import base64
import time
import uuid

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from tests.factories import make_client, make_session, mark_recently_authenticated

pytestmark = pytest.mark.django_db


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    mark_recently_authenticated(browser, user)
    return browser


# --- Process-wide caches of settings ------------------------------------------------------


def test_the_key_ring_cache_is_keyed_by_the_setting_value(settings):
    from ipnb_notes.fields import _ring, key_ring

    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    ring = key_ring()
    assert key_ring() is ring  # cached for the same setting value
    assert ring is _ring(keys)
    new = "rotated:" + base64.b64encode(b"k" * 32).decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *keys]):
        rotated = key_ring()
        assert rotated is not ring
        assert rotated.current_id == "rotated"
        assert rotated is _ring((new, *keys))
    assert key_ring() is ring


def test_the_release_font_cache_is_keyed_by_the_setting_value(tmp_path):
    from disclosures.pdf import _unicode_font

    font = tmp_path / "Font.ttf"
    font.write_bytes(b"not really a font")
    with override_settings(DISCLOSURE_PDF_FONT=str(tmp_path / "missing.ttf")):
        assert _unicode_font() is None
    with override_settings(DISCLOSURE_PDF_FONT=str(font)):
        assert _unicode_font() == font


# --- The shared cache: counters and used codes ----------------------------------------------


def test_a_rate_limit_counts_each_address_and_scope_apart():
    from ipnb_notes.http import over_rate_limit

    scope = f"test-{uuid.uuid4().hex}"
    noisy = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    quiet = RequestFactory().post("/", REMOTE_ADDR="198.51.100.8")
    # The clock stands still: the counts are kept per fixed one-minute window.
    with time_machine.travel(time.time(), tick=False):
        verdicts = [
            over_rate_limit(noisy, scope, limit=3, seconds=60) for _ in range(5)
        ]
        assert verdicts == [False, False, False, True, True]
        assert not over_rate_limit(quiet, scope, limit=3, seconds=60)
        assert not over_rate_limit(noisy, scope + "-other", limit=3, seconds=60)


def test_failed_sign_ins_are_limited_per_address():
    """allauth's failed sign-in limit (ACCOUNT_RATE_LIMITS) counts by address: one address
    that fails often never slows a clinician signing in from elsewhere."""
    from allauth.core import ratelimit

    cache.clear()
    noisy = RequestFactory().post("/", REMOTE_ADDR="203.0.113.10")
    quiet = RequestFactory().post("/", REMOTE_ADDR="203.0.113.11")
    allowed = [ratelimit.consume(noisy, action="login_failed") for _ in range(11)]
    assert allowed[:10] == [True] * 10 and allowed[10] is False
    assert ratelimit.consume(quiet, action="login_failed")


def test_a_used_second_factor_code_is_refused_to_its_user_alone(alice, charlie):
    """Alice and Charlie share a TOTP secret here: Alice's used code is refused to her again,
    and still accepted from Charlie (the used-code key names the user)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from tests.factories import TOTP_SECRET, steady_totp_code

    cache.clear()
    code = steady_totp_code(TOTP_SECRET, margin=5)
    totp = Authenticator.Type.TOTP
    alices = TOTP(Authenticator.objects.get(user=alice, type=totp))
    charlies = TOTP(Authenticator.objects.get(user=charlie, type=totp))
    assert alices.validate_code(code)
    assert not alices.validate_code(code)  # a replay
    assert charlies.validate_code(code)


# --- Pages: browsers and proxies keep nothing; summaries are read after the access check ------


def test_a_page_with_client_data_is_kept_by_no_browser_or_proxy(alice, charlie):
    record = make_client(alice, legal_name="Cached Nowhere")
    url = reverse("clients:client_detail", args=[record.code])
    for headers in ({}, {"HX-Request": "true"}):
        response = _browser(alice).get(url, headers=headers)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store, private"
        assert "HX-Request" in response["Vary"]
    # The same address as Charlie: answered by the access rule again, not by a cache.
    assert _browser(charlie).get(url).status_code == 404


def test_dashboard_summaries_and_partials_never_cross_users(alice, bob, charlie):
    """Alice's summaries are precomputed and her rows rendered through the cached Jinja2
    partial; Charlie's dashboard, rendered next by the same process, shows none of them."""
    from dashboards.services import rollup_refresh_all

    record = make_client(alice, legal_name="Summarised Alicesclient")
    make_client(charlie, legal_name="Charlies Ownclient")
    rollup_refresh_all()
    caseload = reverse("dashboards:caseload")
    alice_page = _browser(alice).get(caseload).content.decode()
    assert "Summarised Alicesclient" in alice_page
    charlie_browser = _browser(charlie)
    for headers in ({}, {"HX-Request": "true"}):
        page = charlie_browser.get(caseload, headers=headers).content.decode()
        assert "Summarised Alicesclient" not in page
    assert "Charlies Ownclient" in charlie_browser.get(caseload).content.decode()
    trajectory = reverse("dashboards:trajectory", args=[record.code])
    assert _browser(alice).get(trajectory).status_code == 200
    assert charlie_browser.get(trajectory).status_code == 404


# --- The access rules' subqueries, built once per request --------------------------------------


def test_the_caseload_subquery_is_kept_for_one_request_and_one_user(
    alice, bob, charlie
):
    """Within a request, access builds a user's caseload subquery once (SQL, never rows);
    another user, or the same user once the request ends, gets a subquery of their own."""
    from ipnb_notes import access

    alices = make_client(alice, legal_name="Alices Ownclient")
    charlies = make_client(charlie, legal_name="Charlies Ownclient")
    # Outside a request nothing is kept.
    assert access._visible_client_ids(alice) is not access._visible_client_ids(alice)
    access._request_begins()  # what request_started does (request_finished: _request_ends)
    try:
        kept = access._visible_client_ids(alice)
        assert access._visible_client_ids(alice) is kept
        assert access._own_client_ids(alice) is access._own_client_ids(alice)
        for user in (bob, charlie):
            assert access._visible_client_ids(user) is not kept
        assert list(access.visible_clients(alice)) == [alices]
        assert list(access.visible_clients(bob)) == [alices]  # his supervisee's
        assert list(access.visible_clients(charlie)) == [charlies]
        # Rows come from the database each time: a client assigned since is seen.
        later = make_client(alice, legal_name="Alices Laterclient")
        assert set(access.own_clients(alice)) == {alices, later}
        assert set(access.visible_clients(bob)) == {alices, later}
    finally:
        access._request_ends()
    assert access._visible_client_ids(alice) is not kept
    # Two users' homes, one after the other in the same process: each sees their own.
    for record, therapist in ((alices, alice), (charlies, charlie)):
        make_session(record, therapist, starts_at=timezone.now())
    alice_home = _browser(alice).get(reverse("home")).content.decode()
    charlie_home = _browser(charlie).get(reverse("home")).content.decode()
    assert access._request.subqueries is None  # dropped when each request ended
    assert "Alices Ownclient" in alice_home and "Charlies" not in alice_home
    assert "Charlies Ownclient" in charlie_home and "Alices" not in charlie_home


def test_baked_statements_keep_no_users_values_and_each_reader_gets_their_own(
    alice, bob, charlie
):
    """A page's baked statements are kept per process for every reader of the same shape:
    what is kept holds stand-ins only, and each request's values are its reader's."""
    from ipnb_notes import access

    alices = make_client(alice, legal_name="Alices Bakedclient")
    charlies = make_client(charlie, legal_name="Charlies Bakedclient")
    for record, therapist in ((alices, alice), (charlies, charlie)):
        make_session(record, therapist, starts_at=timezone.now())
    pages = {}
    for user in (alice, charlie, bob, alice):
        pages.setdefault(user.pk, []).append(
            _browser(user).get(reverse("home")).content.decode()
        )
    assert all(
        "Alices Bakedclient" in p and "Charlies" not in p for p in pages[alice.pk]
    )
    assert "Charlies Bakedclient" in pages[charlie.pk][0]
    assert "Alices" not in pages[charlie.pk][0]
    # The client's page by code, through the baked look-up: another caseload's is a 404.
    assert _browser(charlie).get(alices.get_absolute_url()).status_code == 404
    assert _browser(alice).get(alices.get_absolute_url()).status_code == 200
    # Nothing kept names a real reader: every kept parameter is a constant or a stand-in.
    real = {alice.pk, bob.pk, charlie.pk, alice.email, charlie.email, alices.code}
    assert access._CLIENT._shapes  # the client's page above was read through it
    for baked in (access._CLIENT, access._SESSION, access._NOTE):
        for compiled in baked._shapes.values():
            for statement in compiled:
                kept = set(statement.params) | {
                    v for v in vars(statement.template.query).values() if _hashable(v)
                }
                assert not (kept & real), statement.sql


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def test_the_client_pages_link_patterns_keep_no_code_and_each_page_links_its_own(
    alice, charlie
):
    """ipnb_notes.links keeps each URL pattern once per process with a stand-in code: two
    therapists' client pages, read one after the other, each link their own client alone,
    and no kept pattern holds a real code."""
    from ipnb_notes import links

    alices = make_client(alice, legal_name="Alices Linkclient")
    charlies = make_client(charlie, legal_name="Charlies Linkclient")
    pages = {
        user.pk: _browser(user).get(record.get_absolute_url()).content.decode()
        for user, record in ((alice, alices), (charlie, charlies))
    }
    assert str(alices.code) in pages[alice.pk]
    assert str(charlies.code) not in pages[alice.pk]
    assert str(charlies.code) in pages[charlie.pk]
    assert str(alices.code) not in pages[charlie.pk]
    # What is kept: the trajectory link with the stand-in code, read back from the cache.
    assert links._pattern.cache_info().currsize > 0
    kept = links._pattern("dashboards:trajectory", True, get_script_prefix(), None)
    assert links.ZERO in kept
    assert str(alices.code) not in kept and str(charlies.code) not in kept
