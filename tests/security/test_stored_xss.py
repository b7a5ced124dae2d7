"""Stored XSS (WEB-01): a payload corpus goes into every free-text field of every form the
personas can reach (found by walking the URLs and parsing the forms, not by a hand list),
then every page, htmx fragment and CSV export must render it inert: no element carrying an
event handler, an htmx attribute or a javascript: URL that came from a payload, no payload
<script>, <svg>, <iframe> or <img>, and no CSV cell that starts a formula."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions.models import NoteRevision
from tests.factories import make_note, make_session, mark_recently_authenticated
from tests.security.authz_world import build_world, url_kwargs
from tests.security.test_authz_matrix import EXPECTED, PATTERNS, PERSONAS

pytestmark = pytest.mark.django_db
MARK = "xss7q"
PAYLOADS = [
    f"<script>alert('{MARK}')</script>",
    f"<img src=x onerror=\"alert('{MARK}')\">",
    f"\"><svg/onload=alert('{MARK}')>",
    f"javascript:alert('{MARK}')",
    f"<a href=\"javascript:alert('{MARK}')\">{MARK}</a>",
    f'<div hx-get="/{MARK}" hx-trigger="load">{MARK}</div>',
    f'<b hx-on:click="alert(\'{MARK}\')" data-hx-post="/{MARK}">{MARK}</b>',
    f"'><iframe src=\"javascript:alert('{MARK}')\"></iframe>",
    f'=HYPERLINK("http://evil.example/{MARK}")',
    f"+{MARK}-@{{{{ {MARK} }}}}",
]
DANGEROUS_TAGS = {"script", "svg", "iframe", "object", "embed", "img", "math"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name, kind, default value, options)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "autosave": a.get("data-autosave-url"),
                "fields": [],
            }
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            self._form["fields"].append(
                {
                    "name": name,
                    "kind": kind,
                    "value": a.get("value", ""),
                    "checked": "checked" in a,
                }
            )
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "kind": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)
        elif tag == "select" and name:
            self._select = {
                "name": name,
                "kind": "select",
                "options": [],
                "value": None,
            }
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a:
                self._select["value"] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class _Inert(HTMLParser):
    """Collects every place where a payload became live markup."""

    def __init__(self):
        super().__init__()
        self.live: list[str] = []
        self.shown = 0
        self._script = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        joined = " ".join(f"{k}={v}" for k, v in a.items())
        if tag in DANGEROUS_TAGS and MARK in joined:
            self.live.append(f"<{tag} {joined}>")
        for key, value in a.items():
            if MARK not in value:
                continue
            if key.startswith(("on", "hx-", "data-hx-")):
                self.live.append(f"<{tag} {key}={value!r}>")
            if key in URL_ATTRS and value.strip().lower().startswith("javascript:"):
                self.live.append(f"<{tag} {key}={value!r}>")
        if tag == "script" and a.get("type") != "application/json":
            self._script = ""

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if MARK in self._script:
                self.live.append(f"<script>{self._script[:80]}")
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script += data
        if MARK in data:
            self.shown += 1


def _fill(form: dict, n: int) -> dict:
    data = {}
    for field in form["fields"]:
        kind, name = field["kind"], field["name"]
        if kind in ("submit", "button", "image", "file", "reset"):
            continue
        if kind in ("hidden",):
            data[name] = field["value"]
        elif kind in ("checkbox", "radio"):
            if field.get("checked") or kind == "checkbox":
                data.setdefault(name, field["value"] or "on")
        elif kind == "select":
            options = [o for o in field["options"] if o]
            data[name] = field["value"] or (options[0] if options else "")
        elif kind == "email":
            data[name] = f"{MARK}{n}@example.org"
        elif kind in ("number", "range"):
            data[name] = field["value"] or "1"
        elif kind == "date":
            data[name] = field["value"] or timezone.localdate().isoformat()
        elif kind in ("datetime-local",):
            data[name] = field["value"] or timezone.localtime().strftime(
                "%Y-%m-%dT%H:%M"
            )
        elif kind == "time":
            data[name] = field["value"] or "10:00"
        elif kind == "password":
            continue
        else:  # text, search, url, tel, textarea
            data[name] = PAYLOADS[(n + len(data)) % len(PAYLOADS)]
    return data


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    mark_recently_authenticated(browser, user)
    return browser


def _pages(world, persona_index: int):
    """URLs the persona may GET (from the authorization matrix)."""
    for name, (get, _post) in EXPECTED.items():
        if get[persona_index] != "A" or name.startswith(
            ("account_", "mfa_", "usersessions")
        ):
            continue
        yield reverse(name, kwargs=url_kwargs(name, PATTERNS[name], world) or None)


def test_every_free_text_field_stores_payloads_that_render_inert(personas, alice):
    world = build_world(*(personas[p] for p in PERSONAS))
    # A second session with a draft note, so the note editor's forms are open too.
    draft_session = make_session(
        world.client, alice, starts_at=timezone.now() - timedelta(hours=2)
    )
    make_note(draft_session)
    extra = [reverse("sessions:note_edit", args=[draft_session.code])]

    submitted = 0
    for index, persona in enumerate(PERSONAS):
        browser = _browser(personas[persona])
        urls = list(_pages(world, index)) + (extra if persona == "alice" else [])
        for url in urls:
            response = browser.get(url)
            if response.status_code != 200 or "html" not in response.get(
                "Content-Type", ""
            ):
                continue
            parser = _Forms()
            parser.feed(response.content.decode())
            for n, form in enumerate(parser.forms):
                if form["method"] != "post" or "logout" in form["action"]:
                    continue
                action = urljoin(url, form["action"] or url)
                if any(
                    s in action
                    for s in (
                        "deactivate",
                        "end-sessions",
                        "reset-mfa",
                        "/end/",
                        "transfer",
                    )
                ):
                    continue  # would sign people out or end links mid-walk
                answer = browser.post(action, _fill(form, submitted + n))
                assert answer.status_code < 500, (action, answer.status_code)
                submitted += 1
    assert submitted > 20, f"only {submitted} forms found"

    # The draft's saves above left revisions holding the payloads: their pages render them.
    revisions = [
        r.get_absolute_url()
        for r in NoteRevision.objects.filter(note__session=draft_session)
    ]
    assert revisions
    live, shown, checked = [], 0, 0
    for index, persona in enumerate(PERSONAS):
        browser = _browser(personas[persona])
        urls = list(_pages(world, index)) + (
            extra + revisions if persona == "alice" else []
        )
        for url in urls:
            for headers in ({}, {"HX-Request": "true"}):
                response = browser.get(url, headers=headers)
                if response.status_code != 200:
                    continue
                body = (
                    b"".join(response.streaming_content)
                    if response.streaming
                    else response.content
                ).decode()
                kind = response.get("Content-Type", "")
                checked += 1
                if "csv" in kind:
                    for row in csv.reader(io.StringIO(body)):
                        for cell in row:
                            if MARK in cell:
                                shown += 1
                                assert not cell.startswith(("=", "+", "-", "@")), (
                                    url,
                                    cell,
                                )
                    continue
                parser = _Inert()
                parser.feed(body)
                live += [f"{persona} {url}: {x}" for x in parser.live]
                shown += parser.shown
    assert not live, "\n".join(live[:20])
    assert shown > 20, f"payloads shown only {shown} times across {checked} responses"


@pytest.mark.parametrize("payload", PAYLOADS[:8])
def test_the_detector_catches_each_payload_when_unescaped(payload):
    parser = _Inert()
    parser.feed(f'<main><p>{payload}</p><a href="{payload}">x</a></main>')
    assert parser.live, payload


def test_the_detector_accepts_the_escaped_form():
    from django.utils.html import escape

    parser = _Inert()
    for payload in PAYLOADS:
        parser.feed(f'<p title="{escape(payload)}">{escape(payload)}</p>')
        parser.feed(
            f'<input value="{escape(payload)}"><textarea>{escape(payload)}</textarea>'
        )
    assert parser.live == []
    assert parser.shown > 0
