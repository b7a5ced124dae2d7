"""Forms of the capture panel, the inline event editor, integration ratings and the indicator set."""

from __future__ import annotations

from django import forms

from sessions.capture import kinds
from sessions.capture.services import MINUTE_MARGIN, check_markers, max_minute
from sessions.models import (
    COMPOSITE_SCALE,
    ArousalObservation,
    AttunementMoment,
    CoRegulationMoment,
    IntegrationIndicator,
    IntegrationLink,
    RepairEvent,
    RuptureEvent,
    SessionTag,
)


class _MinuteMixin:
    """Minutes run from 0 to the session's length plus a margin; the message says so."""

    def clean_minute(self):
        minute = self.cleaned_data.get("minute")
        if minute is None:
            return minute
        if minute < 0 or minute > max_minute(self.session):
            raise forms.ValidationError(
                f"The minute must be between 0 and {max_minute(self.session)} "
                f"(a {self.session.duration_minutes}-minute session plus {MINUTE_MARGIN})."
            )
        return minute


class TagForm(_MinuteMixin, forms.Form):
    tag = forms.ChoiceField(
        choices=[(t, t) for t in kinds.BUTTONS],
        error_messages={
            "required": "Choose what to tag.",
            "invalid_choice": "Unknown tag.",
        },
    )
    minute = forms.IntegerField(
        required=False,
        label="Minute",
        help_text="Leave blank to use the clock; type a minute when recording after the session.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    idempotency_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, session, **kwargs):
        self.session = session
        super().__init__(*args, **kwargs)
        self.fields["minute"].widget.attrs.update(
            {"min": 0, "max": max_minute(session)}
        )


class QuickRepairForm(_MinuteMixin, forms.Form):
    rupture = forms.UUIDField(required=False)
    minute = forms.IntegerField(required=False)
    idempotency_key = forms.UUIDField(required=False)

    def __init__(self, *args, session, **kwargs):
        self.session = session
        super().__init__(*args, **kwargs)


def _checkboxes(choices, label, required=False):
    return forms.MultipleChoiceField(
        choices=choices,
        required=required,
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


def _scale_field(label, low=1, high=5, **kwargs):
    return forms.TypedChoiceField(
        choices=[("", "Not rated")] + [(str(i), str(i)) for i in range(low, high + 1)],
        coerce=int,
        empty_value=None,
        required=False,
        label=label,
        **kwargs,
    )


class _EventForm(_MinuteMixin, forms.ModelForm):
    def __init__(self, *args, session, **kwargs):
        self.session = session
        super().__init__(*args, **kwargs)
        self.fields["minute"].widget.attrs.update(
            {"min": 0, "max": max_minute(session), "inputmode": "numeric"}
        )
        self.fields["note"].widget = forms.Textarea(attrs={"rows": 2})
        self.fields["note"].help_text = "Optional; stored encrypted."
        # Radio groups and selects of required choices get no empty "Select an option".
        for field in self.fields.values():
            if (
                isinstance(field, forms.TypedChoiceField)
                and field.required
                and field.choices
                and field.choices[0][0] == ""
            ):
                field.choices = field.choices[1:]

    def detail_fields(self):
        """The fields between the minute and the note, each with whether it is a group of
        radio buttons or checkboxes (templates/sessions/kinds/_edit_fields.html)."""
        return [
            (self[name], isinstance(field.widget, forms.RadioSelect))
            for name, field in self.fields.items()
            if name not in ("minute", "note")
        ]


class AttunementForm(_EventForm):
    cue_channels = _checkboxes(AttunementMoment.Cue.choices, "Cue channels")
    quality = _scale_field(
        "Quality (1–5, clinician-rated, non-standardised)",
    )

    class Meta:
        model = AttunementMoment
        fields = list(kinds.BY_NAME["attunement"].editable)
        labels = {"process": "Dyadic process"}


class RuptureForm(_EventForm):
    markers = _checkboxes(RuptureEvent.Marker.choices, "Markers (3RS-informed)")
    therapist_felt_cues = _checkboxes(
        RuptureEvent.FeltCue.choices, "What the therapist felt (intrapersonal cues)"
    )
    salience = _scale_field("Salience (1 not, 3 somewhat, 5 very salient)")

    class Meta:
        model = RuptureEvent
        fields = list(kinds.BY_NAME["rupture"].editable)
        labels = {"rupture_type": "Type", "alliance_component": "Alliance component"}
        widgets = {
            "rupture_type": forms.RadioSelect,
            "actor": forms.RadioSelect,
        }

    def clean(self):
        data = super().clean()
        if data.get("rupture_type") and data.get("markers"):
            from sessions.capture.services import CaptureError

            try:
                check_markers(data["rupture_type"], data["markers"])
            except CaptureError as exc:
                self.add_error("markers", str(exc))
        return data

    def marker_groups(self):
        """Markers grouped by rupture type, for the template (only the matching group is shown
        when scripts run; the server checks the match either way)."""
        by_value = {w.data["value"]: w for w in self["markers"]}
        groups = []
        for rupture_type, label in RuptureEvent.Type.choices:
            widgets = [
                by_value[code]
                for code, _ in RuptureEvent.Marker.choices
                if RuptureEvent.marker_type(code) == rupture_type
            ]
            groups.append((rupture_type, f"{label} markers", widgets))
        groups.append(("", "Other", [by_value["OTHER"]]))
        return groups


class RepairForm(_EventForm):
    strategies = _checkboxes(RepairEvent.Strategy.choices, "Strategies")
    extent = _scale_field("Extent of resolution (1–5)")
    outcomes = _checkboxes(RepairEvent.Outcome.choices, "What happened")

    class Meta:
        model = RepairEvent
        fields = list(kinds.BY_NAME["repair"].editable)

    def strategy_groups(self):
        widgets = list(self["strategies"])
        return [
            (
                "Immediate (restore collaboration on the task or goal)",
                [w for w in widgets if w.data["value"] in RepairEvent.IMMEDIATE],
            ),
            (
                "Exploratory (explore the rupture together, metacommunication)",
                [w for w in widgets if w.data["value"] not in RepairEvent.IMMEDIATE],
            ),
        ]


class ArousalForm(_EventForm):
    intensity = _scale_field("Intensity (1–5, distance outside the window)")

    class Meta:
        model = ArousalObservation
        fields = list(kinds.BY_NAME["arousal"].editable)
        labels = {
            "zone": "Window-of-tolerance zone",
            "whose": "Whose arousal",
            "at_edge": "At the edge of the window",
        }
        widgets = {"zone": forms.RadioSelect, "whose": forms.RadioSelect}


class SessionTagForm(_EventForm):
    class Meta:
        model = SessionTag
        fields = list(kinds.BY_NAME["tag"].editable)
        labels = {"value": "Part or trigger"}


class CoRegulationForm(_EventForm):
    acts = _checkboxes(
        CoRegulationMoment.Act.choices, "What the therapist offered (clinician-rated)"
    )

    class Meta:
        model = CoRegulationMoment
        fields = list(kinds.BY_NAME["coregulation"].editable)
        labels = {"client_response": "The client's response (clinician-rated)"}
        widgets = {"client_response": forms.RadioSelect}


class IntegrationLinkForm(_EventForm):
    class Meta:
        model = IntegrationLink
        fields = list(kinds.BY_NAME["link"].editable)
        labels = {"link": "What the client linked (clinician-rated)"}
        widgets = {"link": forms.RadioSelect}


# --- Integration ratings -----------------------------------------------------------------------


class RatingsForm(forms.Form):
    """One field per offered indicator, named indicator_<id>; blank means not rated."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            ind = row["indicator"]
            message = (
                f"Choose a value from {ind.scale_min} ({ind.min_label}) "
                f"to {ind.scale_max} ({ind.max_label})."
            )
            ends = {ind.scale_min: ind.min_label, ind.scale_max: ind.max_label}
            choices = [("", "Not rated")] + [
                (str(v), f"{v} ({ends[v]})" if v in ends else str(v))
                for v in range(ind.scale_min, ind.scale_max + 1)
            ]
            self.fields[f"indicator_{ind.id}"] = forms.IntegerField(
                required=False,
                label=ind.label,
                min_value=ind.scale_min,
                max_value=ind.scale_max,
                initial="" if row["value"] is None else row["value"],
                disabled=not ind.is_active,
                widget=forms.RadioSelect(choices=choices),
                error_messages={
                    "min_value": message,
                    "max_value": message,
                    "invalid": message,
                },
            )
            row["field_name"] = f"indicator_{ind.id}"

    def values(self) -> dict[int, int | None]:
        return {
            row["indicator"].id: self.cleaned_data[row["field_name"]]
            for row in self.rows
            if row["indicator"].is_active
        }

    def grouped(self):
        groups: dict[str, dict] = {}
        labels = dict(IntegrationIndicator.Group.choices)
        for row in self.rows:
            ind = row["indicator"]
            group = groups.setdefault(
                ind.group, {"label": labels.get(ind.group, ind.group), "rows": []}
            )
            group["rows"].append({**row, "field": self[row["field_name"]]})
        return list(groups.values())


# --- The indicator set -------------------------------------------------------------------------


class IndicatorCreateForm(forms.ModelForm):
    class Meta:
        model = IntegrationIndicator
        fields = [
            "code",
            "group",
            "label",
            "description",
            "scale_min",
            "scale_max",
            "min_label",
            "max_label",
            "in_composite",
            "sort_order",
        ]
        help_texts = {
            "code": "A short permanent identifier (letters, digits, hyphens).",
            "in_composite": (
                f"Counted in the composite trend line: only for scales of "
                f"{COMPOSITE_SCALE.low} to {COMPOSITE_SCALE.high} (leave off for other or "
                "bipolar scales)."
            ),
        }

    def clean_code(self):
        code = self.cleaned_data["code"].lower()
        if code == "new":  # the URL of the "add" page
            raise forms.ValidationError("“new” is reserved; choose another code.")
        return code

    def clean(self):
        data = super().clean()
        low, high = data.get("scale_min"), data.get("scale_max")
        if low is not None and high is not None and high <= low:
            self.add_error(
                "scale_max", "The top of the scale must be above its bottom."
            )
        # A scale other than the composite's with "in composite" is refused beside that
        # field by IntegrationIndicator.clean().
        return data

    def validate_unique(self):
        # The service reports a taken code beside the field; no second query here.
        pass


class IndicatorEditForm(forms.ModelForm):
    class Meta:
        model = IntegrationIndicator
        fields = ["label", "description", "min_label", "max_label", "sort_order"]
        help_texts = {
            "label": "Renaming keeps every past rating: they show the new label.",
        }
