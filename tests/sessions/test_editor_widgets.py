"""The note editor's widgets printed from plain values (sessions.notes.forms.widget_values,
templates/jinja2/sessions/_widgets.html) are Django's widget markup, byte for byte: the
same names, ids, values, options, checked and selected states, required and aria
attributes, with the form unbound, bound, with errors and when signing; the same for the
note page's co-sign, return, comment and addendum forms."""

from __future__ import annotations

import pytest
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.template import engines

from clients.models import TreatmentGoal
from sessions.notes.forms import (
    AddendumForm,
    CommentForm,
    CosignForm,
    NoteForm,
    ReturnForm,
)

pytestmark = pytest.mark.django_db

_RENDERER = Jinja2FormRenderer()


def _macro():
    return engines["jinja2"].env.from_string(
        '{% from "sessions/_widgets.html" import widget %}{{ widget(w) }}'
    )


def _compare(form):
    form.renderer = _RENDERER
    macro = _macro()
    widgets = form.widgets()
    for name in form.fields:
        django = str(form[name])
        ours = macro.render(w=widgets[name])
        assert ours == django, name


@pytest.fixture
def goals(alices_client, alice):
    return [
        TreatmentGoal.objects.create(
            client=alices_client, created_by=alice, text="Sleep <b>better</b>"
        ),
        TreatmentGoal.objects.create(
            client=alices_client, created_by=alice, text="Fewer \"panics\" & 'dread'"
        ),
    ]


def test_an_unbound_editor(alices_draft, goals):
    alices_draft.sections = {"subjective": "Said <script>x</script> & more"}
    alices_draft.interventions = ["GROUNDING", "CBT"]
    alices_draft.risk_self_harm = "DENIED"
    alices_draft.goals_addressed.set([goals[1]])
    _compare(NoteForm(note=alices_draft))


def test_an_unbound_editor_without_values(alices_draft):
    alices_draft.risk_self_harm = None
    _compare(NoteForm(note=alices_draft))


@pytest.mark.parametrize("signing", [False, True])
def test_a_bound_editor_with_errors(alices_draft, goals, signing):
    data = {
        "version": str(alices_draft.version),
        "format": "SOAPY",
        "section_subjective": 'Kept "text" <i>',
        "plan": "",
        "interventions": ["TELEPATHY", "CBT"],
        "goals_addressed": [str(goals[0].pk), "999999"],
        "risk_suicidal_ideation": "PRESENT",
        "risk_self_harm": "MAYBE",
        "next_session_on": "2026-13-01",
    }
    form = NoteForm(data, note=alices_draft, signing=signing)
    assert not form.is_valid()
    _compare(form)


@pytest.mark.parametrize("signing", [False, True])
def test_a_bound_valid_editor(alices_draft, goals, signing):
    data = {
        "version": str(alices_draft.version),
        "format": "BIRP",
        "section_behavior": "Restless.",
        "interventions": ["CBT"],
        "goals_addressed": [str(goals[0].pk)],
        "risk_harm_to_others": "NONE",
        "next_session_on": "2026-12-01",
        "attest": "on",
    }
    form = NoteForm(data, note=alices_draft, signing=signing)
    form.is_valid()
    _compare(form)


@pytest.mark.parametrize("bound", [False, True])
def test_the_review_comment_and_addendum_forms(alices_signed_note, bound):
    note = alices_signed_note
    anchor = {"anchor_section": "subjective"}
    if bound:
        forms = [
            CosignForm({}, note=note),
            ReturnForm({"comment": ""}),
            CommentForm(
                {"text": "", "anchor_type": "nope", "idempotency_key": "x"}, note=note
            ),
            AddendumForm({"text": "<b>later</b>", "idempotency_key": "bad"}, note=note),
        ]
        for form in forms:
            assert not form.is_valid()
    else:
        forms = [
            CosignForm(note=note),
            ReturnForm(),
            CommentForm(note=note, initial=anchor, auto_id="comment-sub-%s"),
            AddendumForm(note=note),
        ]
    for form in forms:
        _compare(form)
