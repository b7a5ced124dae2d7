from __future__ import annotations

from django import forms

from measures import instruments, scheduling
from measures.models import MeasuresPolicy

SKIP_LABEL = "Leave the unanswered questions blank (no total will be computed)"


class AnswersForm(forms.Form):
    """One radio group per item of an instrument, built from the registry. An item may be
    left blank only on purpose (the skip box), since a blank item leaves no total."""

    def __init__(self, *args, instrument: instruments.Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        choices = [(str(v), label) for v, label in instrument.options]
        for n, text in enumerate(instrument.items, start=1):
            self.fields[f"item_{n}"] = forms.ChoiceField(
                label=text,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": "Choose one of the four answers.",
                },
            )
        self.fields["skip_unanswered"] = forms.BooleanField(
            label=SKIP_LABEL, required=False
        )

    @property
    def item_fields(self):
        return [self[f"item_{n}"] for n in range(1, len(self.instrument.items) + 1)]

    def clean(self):
        data = super().clean()
        missing = [
            name
            for name in (f"item_{n}" for n in range(1, len(self.instrument.items) + 1))
            if name not in self.errors and data.get(name) in (None, "")
        ]
        if missing and not data.get("skip_unanswered"):
            for name in missing:
                self.add_error(
                    name,
                    "Choose an answer, or tick the box at the end to leave it blank.",
                )
        return data

    def answers(self) -> list[int | None]:
        return [
            int(v)
            if (v := self.cleaned_data.get(f"item_{n}")) not in (None, "")
            else None
            for n in range(1, len(self.instrument.items) + 1)
        ]


class LinkForm(forms.Form):
    instrument = forms.ChoiceField(
        label="Questionnaire",
        choices=instruments.CHOICES,
        widget=forms.RadioSelect,
        initial=instruments.PHQ9.code,
        error_messages={
            "required": "Choose the questionnaire to send.",
            "invalid_choice": "Choose the PHQ-9 or the GAD-7.",
        },
    )
    email = forms.EmailField(
        label="Also email it to (optional)",
        required=False,
        max_length=254,
        help_text="The email names the practice and carries the link, nothing else.",
        error_messages={"invalid": "Enter an email address such as name@example.org."},
    )


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="What was done",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: risk assessed in session today, safety plan reviewed.",
        error_messages={
            "required": "Write what was done before closing the alert.",
            "max_length": "Keep it under 4,000 characters.",
        },
    )

    def clean_action_taken(self):
        value = self.cleaned_data["action_taken"].strip()
        if not value:
            raise forms.ValidationError("Write what was done before closing the alert.")
        return value


class CheckInForm(forms.Form):
    """The post-session check-in, worded from the registry (client or therapist version).
    Strength and resolution are asked only after a "yes"; without one they are not kept."""

    def __init__(self, *args, checkin: instruments.CheckIn, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkin = checkin
        scale = [(str(v), label) for v, label in checkin.scale]
        scale_errors = {"invalid_choice": "Choose a number from 1 to 5."}
        self.fields["tension"] = forms.ChoiceField(
            label=checkin.tension,
            choices=[("yes", "Yes"), ("no", "No")],
            widget=forms.RadioSelect,
            error_messages={
                "required": "Answer yes or no.",
                "invalid_choice": "Answer yes or no.",
            },
        )
        for name in ("intensity", "resolution"):
            self.fields[name] = forms.ChoiceField(
                label=getattr(checkin, name),
                choices=scale,
                required=False,
                widget=forms.RadioSelect,
                error_messages=scale_errors,
            )
        self.fields["safety"] = forms.ChoiceField(
            label=checkin.safety,
            choices=scale,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose a number from 1 to 5.", **scale_errors},
        )

    def clean(self):
        data = super().clean()
        if data.get("tension") == "yes":
            for name in ("intensity", "resolution"):
                if name not in self.errors and not data.get(name):
                    self.add_error(
                        name, "You answered yes: choose a number from 1 to 5."
                    )
        return data

    def responses(self) -> dict:
        data = self.cleaned_data
        tension = data["tension"] == "yes"
        return {
            "tension": tension,
            "intensity": int(data["intensity"]) if tension else None,
            "resolution": int(data["resolution"]) if tension else None,
            "safety": int(data["safety"]),
        }


class CheckInEmailForm(forms.Form):
    email = LinkForm.base_fields["email"]


class ScheduleForm(forms.Form):
    """Every how many sessions each questionnaire (and the check-in) is asked; blank is
    off. One field per schedulable instrument of the registry."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = scheduling.EVERY_MIN, scheduling.EVERY_MAX
        for code, name in scheduling.SCHEDULABLE:
            self.fields[f"every_{code}"] = forms.IntegerField(
                label=f"{name}: every … sessions",
                required=False,
                min_value=low,
                max_value=high,
                help_text="Blank: not scheduled. 1: every session; 4: the first "
                "session and every 4th after it.",
                error_messages={
                    "invalid": f"Enter a whole number of sessions from {low} to {high}, "
                    "or leave it blank.",
                    "min_value": f"Enter a number from {low} to {high}, or leave it blank.",
                    "max_value": f"Enter a number from {low} to {high}, or leave it blank.",
                },
            )

    def every(self) -> dict[str, int | None]:
        return {
            code: self.cleaned_data.get(f"every_{code}")
            for code, _ in scheduling.SCHEDULABLE
        }


class PolicyForm(forms.ModelForm):
    """The practice's measure settings; labels and help from the model (one home)."""

    class Meta:
        model = MeasuresPolicy
        fields = ["email_scheduled_links"]
