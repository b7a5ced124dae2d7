"""One home per event kind and per note format: the registries are complete, everything that
must agree about a kind or a format is derived from them, and an incomplete kind or a format
that drifts is caught (by these tests and by `manage.py check`)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.urls import reverse

from sessions.capture import kinds
from sessions.capture import services as services
from sessions.capture.models import SessionEvent
from sessions.models import ProgressNote, SessionTag
from sessions.notes import formats as note_formats
from sessions.notes.formats import FORMAT_SECTIONS
from sessions.notes.forms import ANCHOR_CHOICES, NoteForm
from sessions.notes.services import ANCHOR_MODELS

CAPTURE_JS = Path(settings.BASE_DIR) / "static" / "js" / "capture.js"


def json_script(page, element_id: str):
    """The data a page passes to its scripts with json_script."""
    found = re.search(
        rf'<script id="{element_id}"[^>]*>(.*?)</script>', page.content.decode(), re.S
    )
    assert found, f"no json_script {element_id}"
    return json.loads(found.group(1))


def _replace(name: str, **changes) -> tuple[kinds.EventKind, ...]:
    """The registry with one kind changed."""
    return tuple(
        dataclasses.replace(k, **changes) if k.name == name else k for k in kinds.KINDS
    )


# --- The event-kind registry is complete --------------------------------------------------


def test_every_kind_is_complete():
    assert kinds.problems() == []


def test_manage_py_check_runs_the_registries():
    errors = [e for e in checks.run_checks() if e.id == "therapy_sessions.E001"]
    assert errors == []


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("arousal", {"form": ""}, "kind 'arousal' has no edit form"),
        (
            "arousal",
            {"form": "sessions.capture.forms.NoSuchForm"},
            "kind 'arousal' has no edit form",
        ),
        ("tag", {"line": None}, "kind 'tag' has no timeline line"),
        ("tag", {"summary": None}, "kind 'tag' has no summary sentence"),
        (
            "attunement",
            {"editable": ("minute", "process", "note")},
            "kind 'attunement': its form changes cue_channels, direction, quality",
        ),
        (
            "arousal",
            {"editable": ("minute", "zone", "at_edge", "intensity", "note", "cues")},
            "kind 'arousal': editable cues not on its form",
        ),
        (
            "rupture",
            {"form": "sessions.capture.forms.RepairForm"},
            "kind 'rupture': its form edits RepairEvent",
        ),
        # A kind's first key that another kind already uses.
        ("arousal", {"prefix": "R"}, "kind 'arousal': key R is already rupture's"),
        # A key the panel keeps for itself (undo).
        ("tag", {"prefix": "U"}, "kind 'tag': key U is already the panel's"),
        (
            "repair",
            {"action": kinds.Action("A", "repair-latest-form", "Repair")},
            "kind 'repair': key A is already attunement's",
        ),
        ("rupture", {"description": ""}, "kind 'rupture' has no description or source"),
        (
            "rupture",
            {"csv_columns": ()},
            "kind 'rupture': a CSV needs both its chart and its columns",
        ),
        (
            "rupture",
            {"edit_check": "sessions.capture.services.rules.no_such_rule"},
            "its edit rule sessions.capture.services.rules.no_such_rule does not exist",
        ),
    ],
)
def test_an_incomplete_kind_is_named(name, changes, expected):
    found = kinds.problems(_replace(name, **changes))
    assert any(expected in p for p in found), found


def test_two_buttons_with_one_key_after_the_prefix_are_caught():
    tag = kinds.BY_NAME["tag"]
    clash = dataclasses.replace(tag.buttons[1], key=tag.buttons[0].key)
    registry = _replace("tag", buttons=(tag.buttons[0], clash, *tag.buttons[2:]))
    assert "kind 'tag': two buttons share a key after T" in kinds.problems(registry)


def test_a_button_that_sets_an_unknown_value_is_caught():
    arousal = kinds.BY_NAME["arousal"]
    wrong = dataclasses.replace(arousal.buttons[0], values={"zone": "PANIC"})
    registry = _replace("arousal", buttons=(wrong, *arousal.buttons[1:]))
    assert "kind 'arousal': button 'hyper' sets 'PANIC'" in kinds.problems(registry)


def test_a_session_event_model_without_a_kind_is_caught():
    registry = tuple(k for k in kinds.KINDS if k.name != "tag")
    assert "SessionTag is a session event with no kind" in kinds.problems(registry)


def test_every_session_event_model_has_exactly_one_kind():
    from django.apps import apps

    event_models = {
        m
        for m in apps.get_app_config("therapy_sessions").get_models()
        if issubclass(m, SessionEvent)
    }
    assert event_models == set(kinds.BY_MODEL)
    assert len(kinds.BY_MODEL) == len(kinds.KINDS)


# --- Everything that must agree is read from the registry -----------------------------------


def test_lists_are_derived_from_the_registry():
    assert {k.name: k.model for k in kinds.KINDS} == services.KIND_MODELS
    assert {k.name: list(k.editable) for k in kinds.KINDS} == services.EDITABLE
    assert set(services.TAGS) == set(kinds.BUTTONS)
    assert kinds.anchor_choices() == ANCHOR_CHOICES
    assert {
        k.name: k.model.__name__ for k in kinds.KINDS if k.anchor_label
    } == ANCHOR_MODELS
    for kind in kinds.KINDS:
        assert list(kind.form_class._meta.fields) == list(kind.editable)


def test_capture_js_holds_no_key_or_tag_of_a_kind():
    """The panel's script learns every key from the page: adding a kind never touches it."""
    source = CAPTURE_JS.read_text()
    for tag in kinds.BUTTONS:
        assert f'"{tag}"' not in source, tag
    assert not re.search(r"\bSEQUENCES\s*=\s*\{|\bSINGLE\s*=\s*\{", source)
    assert "repair-latest-form" not in source
    for note_format in note_formats.FORMATS:
        assert f"{note_format.code}:" not in source, note_format.code


def test_the_panel_carries_the_key_map_and_one_button_per_tag(
    client, alice, alices_session
):
    client.force_login(alice)
    page = client.get(reverse("sessions:capture", args=[alices_session.code]))
    html = page.content.decode()
    key_map = json_script(page, "capture-keys")
    assert key_map == kinds.key_map()
    buttons = set(re.findall(r'<button type="submit" name="tag" value="([^"]+)"', html))
    assert buttons == set(kinds.BUTTONS)
    # Every tag a key reaches has its button; every action its form.
    reached = set(key_map["single"].values()) | {
        tag for seq in key_map["sequences"].values() for tag in seq["keys"].values()
    }
    assert reached == buttons
    for form_id in key_map["actions"].values():
        assert f'<form id="{form_id}"' in html
    help_keys = re.findall(r"<tr><td><kbd>(.*?)</kbd></td>", html)
    assert help_keys == [keys for keys, _ in kinds.shortcuts()]


def test_each_kind_has_a_line_a_summary_and_an_edit_form(client, alice, alices_session):
    """One event per kind, each through the panel's service: the timeline reads it, the
    summary says it and its edit form opens (an incomplete kind fails here too)."""
    made = {}
    for tag in kinds.BUTTONS:
        event, _ = services.event_create(session=alices_session, tag=tag, by=alice)
        made.setdefault(kinds.kind_of(event).name, event)
    repair, _ = services.repair_create(session=alices_session, by=alice)
    made["repair"] = repair
    assert set(made) == set(kinds.BY_NAME)
    context = services.timeline_context(alices_session)
    assert {item.kind for item in context["timeline"]} == set(kinds.BY_NAME)
    assert all(item.title for item in context["timeline"])
    summary = context["capture_summary_text"]
    assert "rupture" in summary and "attunement match" in summary
    assert "parts observed" in summary and "hyperarousal" in summary
    client.force_login(alice)
    for name, event in made.items():
        url = reverse(
            "sessions:event_edit", args=[alices_session.code, name, event.code]
        )
        page = client.get(url)
        assert page.status_code == 200, name
        names = set(re.findall(r'name="([^"]+)"', page.content.decode()))
        assert set(kinds.BY_NAME[name].editable) <= names, name


def test_fill_keeps_derived_fields_on_edit(alice, alices_session):
    event, _ = services.event_create(
        session=alices_session, tag="protective-part", by=alice
    )
    assert event.kind == SessionTag.Kind.PART
    event.session = alices_session
    services.event_update(
        event=event, data={"value": SessionTag.Value.CONTEXT}, by=alice
    )
    event.refresh_from_db()
    assert event.kind == SessionTag.Kind.TRIGGER


# --- Note formats --------------------------------------------------------------------------


def test_note_formats_agree_with_the_model_and_the_services():
    assert note_formats.problems() == []
    assert {f.code: list(f.sections) for f in note_formats.FORMATS} == FORMAT_SECTIONS
    assert dict(NoteForm.base_fields["format"].choices) == {
        f.code: f.label for f in note_formats.FORMATS
    }
    assert dict(ProgressNote.Format.choices) == {
        f.code: f.label for f in note_formats.FORMATS
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"summary_section": "subjective"},
            "format DAP: the IPNB summary goes to 'subjective', not one of its sections",
        ),
        ({"sections": ("data", "musings")}, "section 'musings' has no label or prompt"),
        ({"sections": ()}, "format DAP has no section"),
    ],
)
def test_a_format_that_drifts_is_named(changes, expected):
    formats = tuple(
        dataclasses.replace(f, **changes) if f.code == "DAP" else f
        for f in note_formats.FORMATS
    )
    found = note_formats.problems(formats)
    assert any(expected in p for p in found), found


def test_a_format_missing_from_the_registry_is_named():
    formats = tuple(f for f in note_formats.FORMATS if f.code != "BIRP")
    assert "the formats are not exactly ProgressNote.Format's" in note_formats.problems(
        formats
    )


def test_the_editor_tells_capture_js_where_each_format_takes_the_summary(
    client, alice, alices_draft
):
    client.force_login(alice)
    page = client.get(reverse("sessions:note_edit", args=[alices_draft.session.code]))
    assert page.status_code == 200
    data = json_script(page, "note-summary-sections")
    assert data == note_formats.summary_sections()
    html = page.content.decode()
    for code, section in data.items():
        # The section is a field of the editor, shown for that format.
        row = re.search(
            rf'data-formats="([^"]*)"[^>]*>\s*<label for="id_section_{section}"', html
        )
        assert row is not None, section
        assert code in row.group(1).split()
