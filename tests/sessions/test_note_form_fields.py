"""The note editor's form shares its read-only fields between forms (sessions.notes.forms
_shared) and copies those a form changes: one form's goals, attestation, data and errors
never show in another's."""

from __future__ import annotations

import pytest

from sessions.notes.forms import NoteForm

pytestmark = pytest.mark.django_db


def test_the_fields_a_form_changes_are_its_own(alices_draft):
    signing = NoteForm({"version": "x"}, note=alices_draft, signing=True)
    lenient = NoteForm(note=alices_draft)
    assert signing.fields["attest"] is not lenient.fields["attest"]
    assert signing.fields["attest"].required and not lenient.fields["attest"].required
    assert signing.fields["goals_addressed"] is not lenient.fields["goals_addressed"]
    assert not signing.is_valid() and "version" in signing.errors
    assert not lenient.errors and not lenient["version"].errors


def test_the_shared_fields_are_the_same_and_never_written(alices_draft):
    first, second = NoteForm(note=alices_draft), NoteForm(note=alices_draft)
    for name in ("version", "format", "plan", "section_subjective", "risk_self_harm"):
        assert first.fields[name] is second.fields[name] is NoteForm.base_fields[name]
    before = {
        name: (dict(field.widget.attrs), field.required, field.label)
        for name, field in NoteForm.base_fields.items()
    }
    bad = NoteForm(
        {"version": "0", "format": "nope", "section_subjective": "x" * 50001},
        note=alices_draft,
        signing=True,
    )
    assert not bad.is_valid()
    str(bad["format"]), str(bad["section_subjective"]), bad.widgets()
    after = {
        name: (dict(field.widget.attrs), field.required, field.label)
        for name, field in NoteForm.base_fields.items()
    }
    assert after == before
    assert NoteForm(note=alices_draft)["section_subjective"].value() == (
        "Client reports a calmer week."
    )


def test_the_widget_attributes_worked_out_once_are_each_forms_own(alices_draft):
    first = NoteForm(note=alices_draft).widgets()
    first["plan"]["attrs"]["data-x"] = "changed"
    again = NoteForm(note=alices_draft).widgets()
    assert "data-x" not in again["plan"]["attrs"]
    assert again["plan"]["attrs"]["id"] == "id_plan"
    bad = NoteForm({"version": "1", "format": "nope"}, note=alices_draft, signing=True)
    bad.is_valid()
    assert bad.widgets()["format"]["attrs"].get("aria-invalid") == "true"
    assert (
        "aria-invalid" not in NoteForm(note=alices_draft).widgets()["format"]["attrs"]
    )
