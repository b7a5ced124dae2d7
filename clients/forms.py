"""Input parsing and validation for clients, goals and caseload assignment."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone

from clients.models import Client, TreatmentGoal

# ICD-10(-CM) code shape: a letter other than U, two characters, then an optional
# dotted extension. "U" codes are reserved for emergency use and not used in practice notes.
ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def parse_diagnoses(text: str) -> list[dict[str, str]]:
    """Lines "F41.1 Generalized anxiety disorder" -> [{"code", "label"}]; one error per bad line."""
    diagnoses, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        code, _, label = line.partition(" ")
        code, label = code.strip().upper(), label.strip(" -–:\t")
        if not ICD10.match(code):
            errors.append(
                f"Line {number}: “{code}” is not an ICD-10 code. "
                "Start the line with a code such as F41.1, then its label."
            )
        elif not label:
            errors.append(
                f"Line {number}: add the diagnosis label after the code {code}."
            )
        else:
            diagnoses.append({"code": code, "label": label})
    if errors:
        raise forms.ValidationError(errors)
    return diagnoses


def format_diagnoses(diagnoses: list[dict[str, str]]) -> str:
    return "\n".join(f"{d.get('code', '')} {d.get('label', '')}" for d in diagnoses)


class ClientForm(forms.ModelForm):
    diagnoses_text = forms.CharField(
        label="Diagnoses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: the ICD-10 code, a space, then its label, e.g. "
        "“F41.1 Generalized anxiety disorder”.",
    )

    class Meta:
        model = Client
        fields = [
            "legal_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "email",
            "phone",
            "address",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
            "status",
            "intake_date",
            "discharge_date",
            "consent_to_treatment_on",
            "presenting_concerns",
        ]
        labels = {
            "consent_to_treatment_on": "Consent to treatment recorded on",
            "emergency_contact_relationship": "Relationship to client",
            "emergency_contact_phone": "Emergency contact phone",
            "emergency_contact_name": "Emergency contact name",
        }
        help_texts = {
            "preferred_name": "The name the client uses; shown first everywhere.",
            "pronouns": "e.g. she/her, they/them",
            "presenting_concerns": "In the client's own terms where possible. Encrypted at rest.",
        }
        widgets = {
            "date_of_birth": DateInput(),
            "intake_date": DateInput(),
            "discharge_date": DateInput(),
            "consent_to_treatment_on": DateInput(),
            "address": forms.TextInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "off"}
            ),
            "presenting_concerns": forms.Textarea(attrs={"rows": 4}),
        }

    field_order = [*Meta.fields[:-1], "diagnoses_text", "presenting_concerns"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["diagnoses_text"] = format_diagnoses(self.instance.diagnoses)

    def clean_diagnoses_text(self) -> list[dict[str, str]]:
        return parse_diagnoses(self.cleaned_data.get("diagnoses_text", ""))

    def clean_date_of_birth(self):
        dob = self.cleaned_data.get("date_of_birth")
        if dob and dob > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        return dob

    def clean_consent_to_treatment_on(self):
        on = self.cleaned_data.get("consent_to_treatment_on")
        if on and on > timezone.localdate():
            raise forms.ValidationError(
                "Consent is recorded once it is given: the date cannot be in the future."
            )
        return on

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        intake, discharge = cleaned.get("intake_date"), cleaned.get("discharge_date")
        if status == Client.Status.DISCHARGED and not discharge:
            if "discharge_date" not in self.errors:
                self.add_error(
                    "discharge_date", "A discharged client needs a discharge date."
                )
        elif discharge and status != Client.Status.DISCHARGED:
            self.add_error(
                "discharge_date",
                "Only a discharged client has a discharge date: clear it, or set the status to Discharged.",
            )
        if intake and discharge and discharge < intake:
            self.add_error(
                "discharge_date", "The discharge date cannot be before the intake date."
            )
        if discharge and discharge > timezone.localdate():
            self.add_error(
                "discharge_date", "The discharge date cannot be in the future."
            )
        if "diagnoses_text" in cleaned:
            cleaned["diagnoses"] = cleaned.pop("diagnoses_text")
        return cleaned


class ClientCreateForm(ClientForm):
    # A fresh key on every rendering of the blank form: a double submit of the same page
    # sends the same key twice, and the unique column turns that into one client.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class GoalForm(forms.ModelForm):
    class Meta:
        model = TreatmentGoal
        fields = ["text", "target_date"]
        labels = {"text": "Goal", "target_date": "Target date"}
        help_texts = {"text": "Written with the client, in their words where possible."}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "target_date": DateInput(),
        }


class GoalEditForm(GoalForm):
    class Meta(GoalForm.Meta):
        fields = ["text", "target_date", "status"]


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=TreatmentGoal.Status.choices)


# --- Caseload assignment (practice admins) ------------------------------------------------------


class TherapistChoiceForm(forms.Form):
    therapist = forms.ModelChoiceField(
        label="Therapist", queryset=None, empty_label="Choose a therapist"
    )

    def __init__(self, *args, therapist_choices, label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapist_choices
        if label:
            self.fields["therapist"].label = label


# --- The client page's goal form, printed from values ---------------------------------------------


class PrintedField:
    """What the client page's `field` macro (templates/jinja2/sessions/_forms.html) reads of
    an unbound BoundField, as plain values."""

    __slots__ = ("label", "errors", "field", "id_for_label", "help_text", "auto_id")

    def __init__(self, bf: forms.BoundField):
        self.label = bf.label
        self.errors = ()
        self.field = bf.field  # its `required` and its widget's input type
        self.id_for_label = bf.id_for_label
        self.help_text = bf.help_text
        self.auto_id = bf.auto_id


_GOAL_FIELDS: list[tuple[PrintedField, dict]] = []


def printed_goal_fields() -> list[tuple[PrintedField, dict]]:
    """The unbound GoalForm's fields as the client page prints them: (field, widget values)
    per field, in the form's order, worked out once per process from one form (the same
    markup as the form rendered by Django's Jinja2 renderer; tests compare both). It holds
    no one's data: an empty form, the same for every reader."""
    if not _GOAL_FIELDS:
        from sessions.notes.forms import widget_values

        form = GoalForm()
        _GOAL_FIELDS.extend((PrintedField(bf), widget_values(bf)) for bf in form)
    return _GOAL_FIELDS
