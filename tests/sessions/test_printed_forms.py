"""The note page's unbound co-sign, return and comment forms are printed from values worked
out once per process (sessions.notes.forms.printed): the same markup as the forms
themselves, and nothing of one note or one page kept for another (the co-signature names
each note's own service date; each page gets its own idempotency key)."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.urls import reverse

from sessions.notes import services as services
from sessions.notes.forms import (
    CommentForm,
    CosignForm,
    Printed,
    ReturnForm,
    printed,
)
from tests.factories import make_note
from tests.sessions.conftest import sign

pytestmark = pytest.mark.django_db

_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _render(name, **context):
    return engines["jinja2"].env.get_template(name).render(csrf_token="T", **context)


def _same_key(html: str) -> str:
    return _KEY.sub('name="idempotency_key" value="K"', html)


def test_the_printed_forms_print_as_the_forms(alices_awaiting_note):
    note = alices_awaiting_note
    for _ in range(2):  # built once, then from the values kept
        ours = _render(
            "sessions/_review_forms.html",
            note=note,
            cosign_form=printed(CosignForm, note),
            return_form=printed(ReturnForm),
        )
        theirs = _render(
            "sessions/_review_forms.html",
            note=note,
            cosign_form=CosignForm(note=note),
            return_form=ReturnForm(),
        )
        assert ours == theirs
        ours = _render(
            "sessions/_comment_form.html", note=note, form=printed(CommentForm, note)
        )
        theirs = _render(
            "sessions/_comment_form.html", note=note, form=CommentForm(note=note)
        )
        assert _same_key(ours) == _same_key(theirs)
        assert isinstance(printed(CosignForm, note), Printed)


def test_each_note_page_names_its_own_service_and_gets_its_own_key(
    client, alice, bob, alices_awaiting_note, second_session
):
    other = sign(make_note(second_session), alice)
    client.force_login(bob)
    pages, keys = {}, []
    for note in (alices_awaiting_note, other, alices_awaiting_note):
        html = client.get(reverse("sessions:note_detail", args=[note.code])).content
        html = html.decode()
        attestation = services.cosign_attestation(note.session)
        assert attestation in html
        pages.setdefault(note.pk, []).append(html)
        keys += _KEY.findall(html)
    assert services.cosign_attestation(
        alices_awaiting_note.session
    ) != services.cosign_attestation(other.session)
    assert (
        services.cosign_attestation(other.session)
        not in pages[alices_awaiting_note.pk][1]
    )
    assert len(keys) == 3 and len(set(keys)) == 3


def test_the_reply_form_prints_as_django_renders_it_and_each_thread_has_its_own(
    alices_awaiting_note, bob
):
    from django.forms.renderers import Jinja2 as Jinja2FormRenderer

    from sessions.notes.forms import ReplyForm, printed_reply

    note = alices_awaiting_note
    first = services.comment_add(note=note, by=bob, text="One")
    second = services.comment_add(note=note, by=bob, text="Two")
    macro = engines["jinja2"].env.from_string(
        '{% from "sessions/_widgets.html" import widget %}{{ widget(w) }}'
    )
    for form in (
        ReplyForm(thread=first),
        ReplyForm({"text": "", "idempotency_key": "x"}, thread=first),
    ):
        form.is_bound and form.is_valid()
        form.renderer = Jinja2FormRenderer()
        widgets = form.widgets()
        for name in form.fields:
            assert macro.render(w=widgets[name]) == str(form[name]), name
    keys = set()
    for thread in (first, second, first):
        ours, theirs = printed_reply(thread.code), ReplyForm(thread=thread)
        mine, real = ours.widgets(), theirs.widgets()
        keys.add(mine["idempotency_key"]["value"])
        real["idempotency_key"]["value"] = mine["idempotency_key"]["value"]
        assert mine == real
        for attr in ("label", "id_for_label", "auto_id", "help_text"):
            assert getattr(ours["text"], attr) == getattr(theirs["text"], attr)
        assert str(thread.code) in ours["text"].id_for_label
    assert len(keys) == 3
