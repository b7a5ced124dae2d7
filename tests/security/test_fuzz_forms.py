"""Property-based fuzzing (hypothesis) of every POST form and JSON autosave endpoint the
personas reach: arbitrary text, control characters, huge values and bogus choices never
cause a 500, and a rejected request (4xx) writes nothing."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.authz_world import build_world
from tests.security.test_authz_matrix import PERSONAS, _Rollback
from tests.security.test_stored_xss import _browser, _Forms, _pages

pytestmark = pytest.mark.django_db

SKIP_ACTIONS = (
    "logout",
    "deactivate",
    "end-sessions",
    "reset-mfa",
    "/end/",
    "transfer",
)
WATCHED_APPS = ("accounts", "clients", "therapy_sessions", "disclosures", "measures")

text = st.one_of(
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFF), max_size=120
    ),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "0",
            "-1",
            "99999999999999999999",
            "1e309",
            "2026-02-30",
            "../../etc/passwd",
            "' OR 1=1 --",
            "NaN",
            "\u202e",
        ]
    ),
    st.integers(min_value=1000, max_value=6000).map(lambda n: "ab \n" * n),
)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in WATCHED_APPS
        for model in apps.get_app_config(app).get_models()
    }


def _targets(personas):
    world = build_world(*(personas[p] for p in PERSONAS))
    found = []
    for index, persona in enumerate(PERSONAS):
        browser = _browser(personas[persona])
        for url in _pages(world, index):
            response = browser.get(url)
            if response.status_code != 200 or "html" not in response.get(
                "Content-Type", ""
            ):
                continue
            parser = _Forms()
            parser.feed(response.content.decode())
            for form in parser.forms:
                action = urljoin(url, form["action"] or url)
                if form["method"] != "post" or any(s in action for s in SKIP_ACTIONS):
                    continue
                names = [
                    f["name"]
                    for f in form["fields"]
                    if f["kind"] not in ("submit", "button", "image", "file", "reset")
                ]
                hidden = {
                    f["name"]: f["value"]
                    for f in form["fields"]
                    if f["kind"] == "hidden"
                }
                found.append((persona, browser, action, names, hidden, False))
                if form.get("autosave"):
                    found.append(
                        (
                            persona,
                            browser,
                            urljoin(url, form["autosave"]),
                            names,
                            hidden,
                            True,
                        )
                    )
    return found


def _fuzzer(persona, browser, action, names, hidden, background):
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
    )
    @given(values=st.fixed_dictionaries(dict.fromkeys(names, text)), keep=st.booleans())
    def fuzz(values, keep):
        data = {**values, **(hidden if keep else {})}
        headers = {"X-IPNB-Background": "fuzz"} if background else {}
        try:
            with transaction.atomic():
                before = _row_counts()
                response = browser.post(action, data, headers=headers)
                after = _row_counts()
                raise _Rollback(response, before, after)
        except _Rollback as done:
            response, before, after = done.args
        assert response.status_code < 500, (persona, action, response.status_code)
        if 400 <= response.status_code < 500:
            assert before == after, (persona, action, response.status_code)

    return fuzz


def test_no_form_or_json_endpoint_answers_500_or_writes_partially(personas):
    targets = _targets(personas)
    assert len(targets) > 20
    for target in targets:
        _fuzzer(*target)()


PARAMS = (
    "q",
    "sort",
    "status",
    "role",
    "second_factor",
    "page",
    "window",
    "date_from",
    "date_to",
    "action",
    "actor",
    "client",
    "ip",
    "target",
    "target_type",
    "request",
    "seq",
    "format",
    "all",
    "week",
    "day",
)


def _get_fuzzer(browser, url):
    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
    )
    @given(
        params=st.dictionaries(
            st.sampled_from(PARAMS),
            text | st.just("1,extractvalue(1,concat(0x7e,version()))"),
            max_size=4,
        ),
        htmx=st.booleans(),
    )
    def fuzz(params, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = browser.get(url, params, headers=headers)
        assert response.status_code < 500, (url, params, response.status_code)

    return fuzz


def test_no_page_answers_500_to_any_filter_or_sort_parameter(personas):
    world = build_world(*(personas[p] for p in PERSONAS))
    for index, persona in enumerate(PERSONAS):
        browser = _browser(personas[persona])
        for url in _pages(world, index):
            _get_fuzzer(browser, url)()
