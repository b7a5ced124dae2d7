from __future__ import annotations

import re

from django import forms

from measures import instruments, practice_instruments, scheduling
from measures.models import MeasuresPolicy, PracticeInstrument

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
                    "invalid_choice": f"Choose one of the {len(choices)} answers.",
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
    """The questionnaires of the registry, then those the practice defined (in use)."""

    instrument = forms.ChoiceField(
        label="Questionnaire",
        choices=instruments.CHOICES,
        widget=forms.RadioSelect,
        initial=instruments.PHQ9.code,
        error_messages={
            "required": "Choose the questionnaire to send.",
            "invalid_choice": "Choose one of the questionnaires listed.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [
            *instruments.CHOICES,
            *(
                (key, f"{name} ({instruments.PRACTICE_STATUS.lower()})")
                for key, name in practice_instruments.active_choices()
            ),
        ]

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
    off. One field per schedulable instrument of the registry (`schedulable`, as
    scheduling.schedulable() gives them, when the page read them already)."""

    def __init__(self, *args, schedulable=None, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = scheduling.EVERY_MIN, scheduling.EVERY_MAX
        if schedulable is None:
            schedulable = scheduling.schedulable()
        for code, name in schedulable:
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
            name.removeprefix("every_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("every_")
        }


class PolicyForm(forms.ModelForm):
    """The practice's measure settings; labels and help from the model (one home)."""

    class Meta:
        model = MeasuresPolicy
        fields = ["email_scheduled_links"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


BAND_LINE = re.compile(r"^(\d{1,4})\s*[-–]\s*(\d{1,4})\s+(\S.*)$")


class PracticeInstrumentForm(forms.Form):
    """A new instrument defined by the practice. What is typed is kept on any error."""

    name = forms.CharField(
        label="Name",
        max_length=60,
        help_text="Shown to clinicians and clients, with “"
        + instruments.PRACTICE_STATUS
        + "” beside it.",
        error_messages={
            "required": "Give the instrument a name.",
            "max_length": "Keep the name under 60 characters.",
        },
    )
    question = forms.CharField(
        label="Question above the items (optional)",
        max_length=300,
        required=False,
        help_text="For example: Over the last week, how much has each of these been true?",
        error_messages={"max_length": "Keep the question under 300 characters."},
    )
    items = forms.CharField(
        label="Items, one per line",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"1 to {practice_instruments.MAX_ITEMS} items, each under "
        f"{practice_instruments.MAX_ITEM_LENGTH} characters.",
        error_messages={"required": "Write at least one item."},
    )
    scale = forms.CharField(
        label="Response scale: the answers' labels, one per line, lowest first",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"{practice_instruments.MIN_OPTIONS} to "
        f"{practice_instruments.MAX_OPTIONS} labels; the first scores 0, the next 1, and "
        "so on. The total is the sum of the items' scores.",
        error_messages={"required": "Write the labels of the answers, one per line."},
    )
    bands = forms.CharField(
        label="Bands (optional), one per line as “low-high label”",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="For example “0-4 Low”. When given, the bands start at 0, follow on "
        "without gaps or overlaps and end at the highest possible total.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the instrument a name.")

        def squash(text: str) -> str:
            return re.sub(r"[\s\-_]", "", text).casefold()

        taken = {squash(spec.name) for spec in instruments.INSTRUMENTS.values()}
        taken |= {squash(spec.name) for spec in instruments.CHECKINS.values()}
        if squash(name) in taken:
            raise forms.ValidationError(
                "That is the name of an instrument the product provides: choose another."
            )
        if PracticeInstrument.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("The practice has an instrument of that name.")
        return name

    def clean_items(self):
        items = _lines(self.cleaned_data["items"])
        limit, length = (
            practice_instruments.MAX_ITEMS,
            practice_instruments.MAX_ITEM_LENGTH,
        )
        if not items:
            raise forms.ValidationError("Write at least one item.")
        if len(items) > limit:
            raise forms.ValidationError(
                f"At most {limit} items ({len(items)} were given)."
            )
        if any(len(item) > length for item in items):
            raise forms.ValidationError(f"Keep each item under {length} characters.")
        return items

    def clean_scale(self):
        labels = _lines(self.cleaned_data["scale"])
        low, high = practice_instruments.MIN_OPTIONS, practice_instruments.MAX_OPTIONS
        if not low <= len(labels) <= high:
            raise forms.ValidationError(
                f"Write {low} to {high} labels, one per line ({len(labels)} were given)."
            )
        if any(len(label) > practice_instruments.MAX_LABEL_LENGTH for label in labels):
            raise forms.ValidationError(
                f"Keep each label under {practice_instruments.MAX_LABEL_LENGTH} characters."
            )
        if len({label.casefold() for label in labels}) != len(labels):
            raise forms.ValidationError("Each label must differ from the others.")
        return labels

    def clean(self):
        data = super().clean()
        items, scale = data.get("items"), data.get("scale")
        lines = _lines(data.get("bands", ""))
        if not lines or not items or not scale:
            data["bands"] = []
            return data
        max_total = len(items) * (len(scale) - 1)
        bands, expected = [], 0
        for line in lines:
            match = BAND_LINE.match(line)
            if not match:
                self.add_error(
                    "bands", f"“{line[:40]}” is not “low-high label”, e.g. “0-4 Low”."
                )
                return data
            low, high, label = int(match[1]), int(match[2]), match[3].strip()
            if low != expected or high < low:
                self.add_error(
                    "bands",
                    f"The band “{line[:40]}” should start at {expected} and end at or "
                    f"after its start.",
                )
                return data
            if len(label) > 40:
                self.add_error("bands", "Keep each band's label under 40 characters.")
                return data
            bands.append((low, high, label))
            expected = high + 1
        if len(bands) > practice_instruments.MAX_BANDS:
            self.add_error("bands", f"At most {practice_instruments.MAX_BANDS} bands.")
        elif expected != max_total + 1:
            self.add_error(
                "bands",
                f"The bands end at {expected - 1}; the highest possible total is "
                f"{max_total} ({len(items)} items × {len(scale) - 1}).",
            )
        data["bands"] = bands
        return data
