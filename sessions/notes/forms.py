"""Forms of sessions, progress notes, signing, co-signature, addenda, comments, process notes."""

from __future__ import annotations

import uuid
from types import MappingProxyType

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.widgets import ChoiceWidget

from clients.models import TreatmentGoal
from sessions.capture import kinds
from sessions.models import ProgressNote
from sessions.notes import formats as note_formats
from sessions.notes import services as services
from sessions.notes.models import INTERVENTIONS


def offered_goals(note_id: int, client_id: int) -> QuerySet[TreatmentGoal]:
    """The goals a saved note may address: the client's active goals and, met or dropped
    since, the goals the note addressed (they keep showing on it)."""
    return TreatmentGoal.objects.filter(
        Q(status=TreatmentGoal.Status.ACTIVE)
        | Q(pk__in=TreatmentGoal.objects.filter(notes=note_id).values("pk")),
        client_id=client_id,
    )


class OfferedGoalsField(forms.ModelMultipleChoiceField):
    """The goals a note may address (`offered`: the note's and its client's ids), the
    queryset built the first time it is read (offered_goals; a note not saved yet offers
    the client's active goals)."""

    offered: tuple[int | None, int] | None = None

    def _get_queryset(self):
        if self.offered is not None:
            note_id, client_id = self.offered
            self.offered = None
            self._set_queryset(
                offered_goals(note_id, client_id)
                if note_id
                else TreatmentGoal.objects.filter(
                    status=TreatmentGoal.Status.ACTIVE, client_id=client_id
                )
            )
        return self._queryset

    queryset = property(_get_queryset, forms.ModelMultipleChoiceField._set_queryset)


class PlainWidgets:
    """A form whose partials print its widgets from plain values (widgets())."""

    def widgets(self) -> dict[str, dict]:
        """Each field's widget as plain values (templates/jinja2/sessions/_widgets.html
        prints them): the name, attributes, value and options Django's widget would render
        with, without rendering a template per widget and per option."""
        return {name: widget_values(self[name]) for name in self.fields}


class NoteForm(PlainWidgets, forms.Form):
    """The progress note editor. `signing` makes it strict: attestation and complete risk
    section required. Autosave uses it lenient and saves whatever fields are valid."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    format = forms.ChoiceField(
        label="Note format",
        choices=[(f.code, f.label) for f in note_formats.FORMATS],
        help_text="Switching keeps the text of sections that both formats share.",
    )
    plan = forms.CharField(
        label="Plan",
        required=False,
        max_length=20000,
        help_text=note_formats.PLAN_PROMPT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    goals_addressed = OfferedGoalsField(
        label="Goals addressed",
        queryset=TreatmentGoal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interventions = forms.MultipleChoiceField(
        label="Interventions used",
        choices=INTERVENTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    risk_suicidal_ideation = forms.ChoiceField(
        label="Suicidal ideation", choices=ProgressNote.Risk.choices, required=False
    )
    risk_self_harm = forms.ChoiceField(
        label="Self-harm", choices=ProgressNote.Risk.choices, required=False
    )
    risk_harm_to_others = forms.ChoiceField(
        label="Harm to others", choices=ProgressNote.Risk.choices, required=False
    )
    risk_details = forms.CharField(
        label="Risk details: plan and follow-up",
        required=False,
        max_length=20000,
        help_text="Required when any risk is present: the safety plan and the follow-up agreed.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_session_on = forms.DateField(
        label="Next session",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    attest = forms.BooleanField(required=False)

    def __init__(self, *args, note: ProgressNote, signing: bool = False, **kwargs):
        if not kwargs.get("data") and not (args and args[0] is not None):
            sections = note.sections or {}
            initial = {
                "version": note.version,
                "format": note.format,
                "plan": note.plan,
                # A queryset: the editor reads it with its other statements (one round
                # trip, sessions.notes.views.notes._editor); rendered alone it is read then.
                "goals_addressed": note.goals_addressed.all() if note.pk else [],
                "interventions": note.interventions,
                "risk_details": note.risk_details,
                "next_session_on": note.next_session_on,
                **{f: getattr(note, f) for f in note_formats.RISK_FIELDS},
                **{
                    f"section_{k}": sections.get(k, "")
                    for k in note_formats.ALL_SECTIONS
                },
            }
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.note = note
        self.signing = signing
        # Built when first read: the editor lists the goals from its own read
        # (sessions.notes.views.notes._editor_reads), a save validates against it.
        self.fields["goals_addressed"].offered = (note.pk, note.client_id)
        self.fields["attest"].label = services.author_attestation(note.session)
        self.fields["attest"].required = signing

    @staticmethod
    def summary_sections() -> dict[str, str]:
        """Where each format takes the IPNB summary (capture.js reads it via json_script)."""
        return note_formats.summary_sections()

    def current_format(self) -> str:
        value = self.data.get("format") if self.is_bound else None
        if value not in note_formats.FORMAT_SECTIONS:
            value = self.initial.get("format") or self.note.format
        return value

    def section_rows(self) -> list[dict]:
        """One row per section of any format, with the formats that use it (the editor shows
        the current format's and hides the rest, keeping their text while the user switches)."""
        current = self.current_format()
        rows = []
        for key in note_formats.ALL_SECTIONS:
            formats = [
                f for f, keys in note_formats.FORMAT_SECTIONS.items() if key in keys
            ]
            rows.append(
                {
                    "key": key,
                    "field": self[f"section_{key}"],
                    "formats": " ".join(formats),
                    "shown": current in formats,
                }
            )
        return rows

    def risk_fields(self):
        return [self[f] for f in note_formats.RISK_FIELDS]

    def clean(self):
        data = super().clean()
        if self.signing:
            if (
                any(
                    data.get(f) == ProgressNote.Risk.PRESENT
                    for f in note_formats.RISK_FIELDS
                )
                and not (data.get("risk_details") or "").strip()
            ):
                self.add_error(
                    "risk_details",
                    "A risk is marked present: describe the plan and follow-up.",
                )
            fmt = data.get("format") or self.note.format
            keys = note_formats.FORMAT_SECTIONS.get(fmt, [])
            if (
                not any((data.get(f"section_{k}") or "").strip() for k in keys)
                and not (data.get("plan") or "").strip()
            ):
                raise forms.ValidationError(
                    "Write at least one section before signing."
                )
        elif (
            any(
                data.get(f) == ProgressNote.Risk.PRESENT
                for f in note_formats.RISK_FIELDS
            )
            and not (data.get("risk_details") or "").strip()
        ):
            # Not blocking for a draft, but said at once so it is not a surprise at signing.
            self.risk_warning = "A risk is marked present: the plan and follow-up are required before signing."
        return data

    risk_warning = ""

    def note_data(self) -> dict:
        """The valid fields, ready for services.note_save; invalid ones keep their stored value."""
        data = self.cleaned_data
        out: dict = {}
        if "format" in data:
            out["format"] = data["format"]
        sections = {
            k: data[f"section_{k}"]
            for k in note_formats.ALL_SECTIONS
            if f"section_{k}" in data
        }
        out["sections"] = sections
        for name in (
            "plan",
            "interventions",
            "risk_details",
            "next_session_on",
            "goals_addressed",
            *note_formats.RISK_FIELDS,
        ):
            if name in data:
                out[name] = data[name]
        return out


# One field per section of any format, after the declared fields (_shared below).
NoteForm.base_fields |= {
    f"section_{key}": forms.CharField(
        label=note_formats.SECTION_LABELS[key],
        required=False,
        max_length=50000,
        help_text=note_formats.SECTION_PROMPTS[key],
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    for key in note_formats.ALL_SECTIONS
}


def _shared(fields: dict, *, but: tuple[str, ...]) -> None:
    """Each form of the class uses these fields themselves, not a deep copy of each made
    for every form (Django copies every field, its widget and its choices, so that a form
    may change its own): the editor changes only the fields named in `but` (the goals it
    offers, the attestation's label and whether it is required), which stay copied. The
    others are read, never written, by a form, its widgets and its validation."""
    for name, field in fields.items():
        if name not in but:
            # copy.deepcopy reads __deepcopy__ from the instance: the field itself.
            field.__deepcopy__ = lambda memo, field=field: field


_shared(NoteForm.base_fields, but=("goals_addressed", "attest"))


def widget_values(bf: forms.BoundField) -> dict:
    """What Django's widget template for this bound field receives: its name, its
    attributes in Django's order (the widget's own, then required, aria-invalid,
    aria-describedby and id, as BoundField.as_widget builds them), its value as the widget
    formats it and, for a choice widget, the options with their attributes (an option
    checked or selected as ChoiceWidget.optgroups decides). Printed by
    templates/jinja2/sessions/_widgets.html; tests compare both renderings."""
    widget = bf.field.widget
    attrs = _widget_attrs(bf, widget)
    value = bf.value()
    out = {
        "name": bf.html_name,
        "input_type": getattr(widget, "input_type", None),
        "template": _TEMPLATES.get(type(widget), "input"),
    }
    if isinstance(widget, forms.CheckboxInput):
        shown = {**attrs, "checked": True} if widget.check_test(value) else attrs
        out |= {"value": widget.format_value(value), "attrs": {**widget.attrs, **shown}}
        return out
    if isinstance(widget, ChoiceWidget):
        chosen = set(widget.format_value(value))
        options, has_selected = [], False
        for index, (option_value, label) in enumerate(bf.field.choices):
            text = "" if option_value is None else str(option_value)
            selected = text in chosen and (
                widget.allow_multiple_selected or not has_selected
            )
            has_selected |= selected
            option = {**widget.attrs, **attrs} if widget.option_inherits_attrs else {}
            if selected:
                option.update(widget.checked_attribute)
            if "id" in option:
                option["id"] = widget.id_for_label(option["id"], index)
            options.append({"value": text, "label": label, "attrs": option})
        out |= {"attrs": {**widget.attrs, **attrs}, "options": options}
        return out
    out |= {"value": widget.format_value(value), "attrs": {**widget.attrs, **attrs}}
    return out


def _widget_attrs(bf: forms.BoundField, widget: forms.Widget) -> dict:
    """The attributes BoundField.as_widget gives the widget (widget_values). For a field
    every form shares (_shared: the same object, never changed) in an unbound form (no
    errors) they are the same on every page: worked out once per process, keyed by the
    field and its id. They name the field only (its id, required, aria-describedby),
    never a note's or a user's data; each caller gets its own copy."""
    key = (id(bf.field), bf.auto_id, bf.form.use_required_attribute)
    shared = not bf.form.is_bound and "__deepcopy__" in vars(bf.field)
    if shared and key in _ATTRS:
        return dict(_ATTRS[key])
    attrs = bf.build_widget_attrs({}, widget)
    if bf.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bf.auto_id)
    if shared:
        _ATTRS[key] = dict(attrs)
    return attrs


_ATTRS: dict[tuple, dict] = {}


_TEMPLATES = {
    forms.Textarea: "textarea",
    forms.Select: "select",
    forms.CheckboxSelectMultiple: "checkbox_select",
    forms.CheckboxInput: "input",
}


class _PrintedField:
    """What the partials' `field` macro reads of an unbound BoundField, as plain values."""

    __slots__ = ("label", "errors", "field", "id_for_label", "help_text", "auto_id")

    def __init__(self, bf: forms.BoundField | None = None):
        if bf is not None:
            self.label = bf.label
            self.errors = ()
            # The field itself: whether it is required, its widget's input type.
            self.field = bf.field
            self.id_for_label = bf.id_for_label
            self.help_text = bf.help_text
            self.auto_id = bf.auto_id

    def but(self, **changes) -> _PrintedField:
        """A copy with some values changed."""
        copy = _PrintedField()
        for name in self.__slots__:
            setattr(copy, name, changes.get(name, getattr(self, name)))
        return copy


class Printed:
    """An unbound form as the notes' partials print it (widgets(), form_errors, field and,
    for a comment, about()), from values worked out once per process (`printed`): the same
    markup without building the form, copying its fields and working out its widgets on
    every page. Only constants are kept; the per-request values (a label naming the
    session's date, a fresh idempotency key) are set by `printed` on each call."""

    errors = MappingProxyType({})

    def __init__(self, fields: dict, widgets: dict, about: str = ""):
        self._fields = fields
        self._widgets = widgets
        self._about = about

    def __getitem__(self, name: str) -> _PrintedField:
        return self._fields[name]

    def non_field_errors(self) -> tuple:
        return ()

    def widgets(self) -> dict[str, dict]:
        return self._widgets

    def about(self) -> str:
        return self._about


_PROTOTYPES: dict[type, Printed] = {}


def printed(form_class: type, note: ProgressNote | None = None) -> Printed:
    """The unbound `form_class` (CosignForm, ReturnForm, CommentForm without an anchor) as
    its partials print it. The constants come from one form built once per process (the
    co-signature's label, which names a session's date, is not kept); each call sets this
    note's attestation label and a fresh idempotency key."""
    proto = _PROTOTYPES.get(form_class)
    if proto is None:
        form = form_class() if form_class is ReturnForm else form_class(note=note)
        fields = {name: _PrintedField(form[name]) for name in form.fields}
        if form_class is CosignForm:
            fields["attest"] = fields["attest"].but(label="")
        about = form.about() if isinstance(form, CommentForm) else ""
        proto = _PROTOTYPES[form_class] = Printed(fields, form.widgets(), about)
    fields, widgets = proto._fields, proto._widgets
    if form_class is CosignForm:
        label = services.cosign_attestation(note.session)
        fields = {**fields, "attest": fields["attest"].but(label=label)}
    if "idempotency_key" in widgets:
        key = widgets["idempotency_key"]
        widgets = {**widgets, "idempotency_key": {**key, "value": str(uuid.uuid4())}}
    return Printed(fields, widgets, proto._about)


# What stands for a thread's code in the one reply form built per process (its ids).
_THREAD = "@thread@"


def printed_reply(code) -> Printed:
    """The unbound reply form of the thread `code` as _thread.html prints it: one ReplyForm
    built once per process, its ids (reply-<code>-<field>) and a fresh idempotency key set
    for each thread."""
    proto = _PROTOTYPES.get(ReplyForm)
    if proto is None:
        form = ReplyForm(auto_id=f"reply-{_THREAD}-%s")
        proto = _PROTOTYPES[ReplyForm] = Printed(
            {name: _PrintedField(form[name]) for name in form.fields}, form.widgets()
        )
    code = str(code)
    fields = {
        name: kept.but(
            id_for_label=_for_thread(kept.id_for_label, code),
            auto_id=_for_thread(kept.auto_id, code),
        )
        for name, kept in proto._fields.items()
    }
    widgets = {
        name: {**w, "attrs": {k: _for_thread(v, code) for k, v in w["attrs"].items()}}
        for name, w in proto._widgets.items()
    }
    widgets["idempotency_key"]["value"] = str(uuid.uuid4())
    return Printed(fields, widgets)


def _for_thread(value, code: str):
    return value.replace(_THREAD, code) if isinstance(value, str) else value


class CosignForm(PlainWidgets, forms.Form):
    attest = forms.BooleanField(required=True)

    def __init__(self, *args, note: ProgressNote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attest"].label = services.cosign_attestation(note.session)


class ReturnForm(PlainWidgets, forms.Form):
    comment = forms.CharField(
        label="What needs revising",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The author sees this comment on their home page.",
    )


# What a comment may be about: the note, or an event of a kind that allows it (sessions.capture.kinds).
ANCHOR_CHOICES = kinds.anchor_choices()


class CommentForm(PlainWidgets, forms.Form):
    """A supervision comment: on the note as a whole, beside one moment of the session's
    timeline (anchor_type, anchor_code) or beside one section of the note (anchor_section).
    The anchor is chosen by the "Comment" action next to it, so it travels hidden; the form
    says in words what the comment is about."""

    text = forms.CharField(
        label="Supervision comment",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your supervisee sees it beside what it is about and on their home "
        "page, and can reply.",
    )
    anchor_type = forms.ChoiceField(
        label="About", choices=ANCHOR_CHOICES, required=False, widget=forms.HiddenInput
    )
    anchor_code = forms.UUIDField(
        label="Event", required=False, widget=forms.HiddenInput
    )
    anchor_section = forms.CharField(
        label="Section", required=False, max_length=40, widget=forms.HiddenInput
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, note: ProgressNote, **kwargs):
        super().__init__(*args, **kwargs)
        self.note = note
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    def clean(self):
        data = super().clean()
        anchor_type = data.get("anchor_type")
        section = data.get("anchor_section")
        if anchor_type and section:
            self.add_error(
                "text", "A comment is about one moment or one section, not both."
            )
        elif anchor_type:
            code = data.get("anchor_code")
            if not code or not services.anchor_exists(self.note, anchor_type, code):
                self.add_error("text", "That moment is not part of this session.")
        elif section and section not in services.section_keys(self.note):
            self.add_error("text", "That section is not part of this note.")
        elif "anchor_type" in self.errors:
            self.errors.pop("anchor_type")
            self.add_error("text", "That moment is not part of this session.")
        return data

    def about(self) -> str:
        """What the comment will be about, in words, from the anchor the form carries."""
        data = (
            self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        )
        get = (lambda k: data.get(k)) if data else (lambda k: self[k].value())
        section = get("anchor_section")
        if section and section in services.section_keys(self.note):
            return f"The {services.section_label(section)} section"
        anchor_type, code = get("anchor_type"), get("anchor_code")
        if anchor_type:
            try:
                event = services.anchor_event(self.note, anchor_type, code)
            except (ValueError, ValidationError):
                event = None
            if event is not None:
                from sessions.capture.services import describe

                item = describe(event, self.note.session)
                return f"{item.title} at minute {item.minute}"
        return "The note as a whole"


class ReplyForm(PlainWidgets, forms.Form):
    """A reply in a supervision thread, by the note's author or their supervisor."""

    BACK = [("session", "The session page"), ("note", "The note page")]

    text = forms.CharField(
        label="Reply",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write a reply, or leave the thread as it is."},
    )
    back = forms.ChoiceField(
        choices=BACK, required=False, initial="session", widget=forms.HiddenInput
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, thread=None, **kwargs):
        if thread is not None:
            kwargs.setdefault("auto_id", f"reply-{thread.code}-%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())


class AddendumForm(PlainWidgets, forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A correction or addition. It is signed when you add it and cannot be "
        "changed afterwards.",
    )
    attest = forms.BooleanField(required=True)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, note: ProgressNote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attest"].label = services.addendum_attestation(note)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())


class ProcessNoteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        label="Psychotherapy note",
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
