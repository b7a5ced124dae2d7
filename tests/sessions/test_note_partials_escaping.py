"""The note pages' Jinja2 partials (templates/jinja2/sessions/): the read-only record, its
supervision threads and replies, the addenda, the timeline's threads, the session's ratings,
the comment and review forms and the field macros print what a user typed as text, never as
markup, an event handler or an htmx attribute, and every form keeps its CSRF token."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django import forms
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from sessions.capture import services as capture
from sessions.models import ProgressNote, TherapySession
from sessions.notes import services
from tests.clients.test_table_escaping import HOSTILE, _Page, assert_inert
from tests.factories import (
    make_client,
    make_note,
    make_session,
    make_supervision,
    make_user,
)


@pytest.fixture
def people(db):
    supervisor = make_user(email="sup@example.org", role="SUPERVISOR")
    associate = make_user(email="assoc@example.org")
    make_supervision(supervisor, associate, requires_cosignature=True)
    return supervisor, associate


def _hostile_record(supervisor, associate, payload):
    """A note awaiting co-signature whose sections, plan, risk details and addendum hold the
    payload, with three threads (the note, a section, a moment), each with a reply."""
    record = make_client(associate, legal_name="Kim Lee")
    session = make_session(
        record,
        associate,
        starts_at=timezone.now() - timedelta(hours=2),
        status=TherapySession.Status.ATTENDED,
    )
    event, _ = capture.event_create(
        session=session, tag="rupture-withdrawal", minute=4, by=associate
    )
    note = make_note(
        session,
        status=ProgressNote.Status.AWAITING_COSIGNATURE,
        signed_at=timezone.now(),
        signed_by=associate,
        sections={"subjective": payload},
        plan=payload,
        risk_details=payload,
    )
    services.addendum_add(note=note, by=associate, text=payload)
    anchors = [
        {},
        {"anchor_section": "subjective"},
        {"anchor_type": "rupture", "anchor_code": event.code},
    ]
    for anchor in anchors:
        thread = services.comment_add(note=note, by=supervisor, text=payload, **anchor)
        services.thread_reply(thread=thread, by=associate, text=payload)
    return session, note, event


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_note_to_co_sign_shows_hostile_text_as_text(client, people, payload):
    supervisor, associate = people
    session, note, event = _hostile_record(supervisor, associate, payload)
    client.force_login(supervisor)
    response = client.get(reverse("sessions:note_detail", args=[note.code]))
    assert response.status_code == 200
    html = response.content.decode()
    # Subjective, plan, risk details, the addendum, three comments and three replies.
    assert_inert(html, payload, times=10)
    # Each thread sits beside what it is about, with its reply and resolve forms.
    assert html.count('class="thread-reply"') == 3
    assert html.count('class="thread-resolve"') == 3
    assert html.index(f'id="event-{event.code}"') < html.index(
        f'id="comment-slot-{event.code}"'
    )
    page = _Page()
    page.feed(html)
    posts = [a for tag, a in page.tags if tag == "form" and a.get("method") == "post"]
    tokens = [
        a
        for tag, a in page.tags
        if tag == "input" and a.get("name") == "csrfmiddlewaretoken"
    ]
    # Reply and resolve per thread, co-sign, return and the comment form; the logout form
    # of the page's header has its own.
    assert len(posts) >= 9
    assert len(tokens) == len(posts)
    assert all(t["value"] for t in tokens)


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_session_page_shows_the_hostile_record_as_text(client, people, payload):
    supervisor, associate = people
    session, note, _ = _hostile_record(supervisor, associate, payload)
    client.force_login(associate)
    html = client.get(
        reverse("sessions:session_detail", args=[session.code])
    ).content.decode()
    assert_inert(html, payload, times=10)
    assert html.count('class="thread-reply"') == 3


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_comment_form_opened_in_place_keeps_a_hostile_anchor_as_text(
    client, people, payload
):
    supervisor, associate = people
    _, note, _ = _hostile_record(supervisor, associate, "Plain text.")
    client.force_login(supervisor)
    response = client.get(
        reverse("sessions:note_detail", args=[note.code]),
        {"anchor_section": payload[:40]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html, payload[:40], times=0)
    assert html.count('name="csrfmiddlewaretoken"') == 1


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_session_ratings_rows_show_a_hostile_label_as_text(payload):
    """The ratings rows (templates/jinja2/sessions/_session_ratings.html): a label the
    practice typed stays text; the status link is the one {% status_link %} prints."""
    indicator = SimpleNamespace(
        label=payload,
        is_active=False,
        scale_min=0,
        scale_max=4,
        min_label=payload,
        max_label="strongly present",
        instrument_status="CLINICIAN_CONCEPTUAL",
        group="PRACTICE",
    )
    ratings = [SimpleNamespace(indicator=indicator, value=3)]
    django = engines["django"]
    html = django.from_string(
        '{% load jinja %}{% jinja "sessions/_session_ratings.html" ratings=ratings %}'
    ).render({"ratings": ratings})
    assert_inert(html, payload, times=2)
    link = django.from_string("{% load sources %}{% status_link i %}").render(
        {"i": indicator}
    )
    assert link in html
    assert '<span class="badge">retired</span>' in html


class _Hostile(forms.Form):
    def __init__(self, payload, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.payload = payload
        self.fields["text"] = forms.CharField(label=payload, help_text=payload)
        self.fields["attest"] = forms.BooleanField(label=payload)

    def clean(self):
        raise forms.ValidationError(self.payload)


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_field_macros_show_hostile_labels_help_and_errors_as_text(payload):
    form = _Hostile(payload, {"text": payload, "attest": ""})
    form.renderer = Jinja2FormRenderer()
    assert not form.is_valid()
    template = engines["jinja2"].from_string(
        '{% from "sessions/_forms.html" import field, form_errors %}'
        "{{ form_errors(form) }}{{ field(form.text) }}{{ field(form.attest) }}"
    )
    html = template.render({"form": form})
    # The error, the text's label, help and value, the checkbox's label.
    assert_inert(html, payload, times=4)
    assert 'role="alert"' in html
    assert 'class="check"' in html and 'type="checkbox"' in html
    assert 'aria-describedby="id_text_helptext"' in html
