"""Forms of scheduling: one session, a recurring series, a move, a cancellation, the home's
one-click mark, the calendar's week picker and the calendar feed's settings."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from sessions.models import CalendarFeed, TherapySession
from sessions.scheduling import services
from sessions.scheduling.vocabulary import MAX_OCCURRENCES, CancelReason, Frequency

# Common psychotherapy codes, offered as suggestions; any well-formed code is accepted.
SERVICE_CODES = [
    ("90791", "Psychiatric diagnostic evaluation"),
    ("90832", "Psychotherapy, 30 minutes"),
    ("90834", "Psychotherapy, 45 minutes"),
    ("90837", "Psychotherapy, 60 minutes"),
    ("90846", "Family psychotherapy without the patient"),
    ("90847", "Family or couple psychotherapy with the patient"),
    ("90853", "Group psychotherapy"),
    ("90839", "Psychotherapy for crisis, first 60 minutes"),
]
_SERVICE_CODE = re.compile(r"^[A-Z0-9]{5}(-[A-Z0-9]{2})?$")


class SessionForm(forms.Form):
    """A session's details; start date and time are entered in the practice's local time."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=5,
        max_value=600,
        initial=50,
        help_text="Between 5 and 600 minutes.",
    )
    modality = forms.ChoiceField(
        choices=TherapySession.Modality.choices,
        initial=TherapySession.Modality.INDIVIDUAL,
    )
    setting = forms.ChoiceField(
        choices=TherapySession.Setting.choices,
        initial=TherapySession.Setting.IN_PERSON,
    )
    status = forms.ChoiceField(
        choices=TherapySession.Status.choices, initial=TherapySession.Status.SCHEDULED
    )
    service_code = forms.CharField(
        label="Service code",
        required=False,
        max_length=10,
        help_text="Optional, e.g. 90837 (CPT) or H0004; a modifier may follow a hyphen.",
        widget=forms.TextInput(attrs={"list": "service-codes", "autocomplete": "off"}),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, session: TherapySession | None = None, **kwargs):
        if session is not None and not kwargs.get("data") and not args:
            local = timezone.localtime(session.starts_at)
            kwargs["initial"] = {
                "date": local.date(),
                "start_time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": session.duration_minutes,
                "modality": session.modality,
                "setting": session.setting,
                "status": session.status,
                "service_code": session.service_code,
            }
        super().__init__(*args, **kwargs)
        if session is not None:
            del self.fields["idempotency_key"]
        elif not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    def clean_service_code(self) -> str:
        return _clean_service_code(self.cleaned_data["service_code"])

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value.year < 2000 or value.year > timezone.localdate().year + 2:
            raise forms.ValidationError(
                "Enter a date between 2000 and two years ahead."
            )
        return value

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start_time"):
            data["starts_at"] = timezone.make_aware(
                datetime.combine(data["date"], data["start_time"])
            )
            if (
                data.get("status") == TherapySession.Status.ATTENDED
                and data["starts_at"] > timezone.now()
            ):
                self.add_error(
                    "status", "A session in the future cannot be marked attended yet."
                )
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "modality": data["modality"],
            "setting": data["setting"],
            "status": data["status"],
            "service_code": data["service_code"],
        }


def _clean_service_code(value: str) -> str:
    """A CPT-style code (90837, or with a modifier, 90837-95), upper-cased; blank is allowed."""
    code = value.strip().upper()
    if code and not _SERVICE_CODE.match(code):
        raise forms.ValidationError(
            "Enter a five-character service code such as 90837, optionally with a "
            "modifier such as 90837-95."
        )
    return code


def _clean_date(value):
    if value.year < 2000 or value.year > timezone.localdate().year + 2:
        raise forms.ValidationError("Enter a date between 2000 and two years ahead.")
    return value


def _span(start, end) -> str:
    return (
        f"{date_format(start, 'D M j')}, {date_format(start, 'H:i')}"
        f"–{date_format(end, 'H:i')}"
    )


class ConflictMixin:
    """A warning beside the start time when the new time overlaps another session of the
    clinician, naming the conflicting times (never a client); "Save anyway" confirms."""

    confirm_field = "save_anyway"

    def warn_conflicts(self, found) -> bool:
        """Add the warning unless the user confirmed; True when the form may be saved."""
        if not found or self.cleaned_data.get(self.confirm_field):
            return True
        times = "; ".join(_span(s, e) for s, e in found)
        self.add_error(
            "start_time",
            f"Overlaps another of your sessions: {times}. Tick “Save anyway” to keep "
            "both.",
        )
        self.has_conflicts = True
        return False


class ScheduleSessionForm(ConflictMixin, SessionForm):
    """One session, with the double-booking warning."""

    save_anyway = forms.BooleanField(
        label="Save anyway (double booking)", required=False
    )


class SeriesForm(ConflictMixin, forms.Form):
    """Recurring appointments: the first session, how it repeats and when it ends."""

    date = forms.DateField(
        label="First session", widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=5, max_value=600, initial=50
    )
    modality = forms.ChoiceField(
        choices=TherapySession.Modality.choices,
        initial=TherapySession.Modality.INDIVIDUAL,
    )
    setting = forms.ChoiceField(
        choices=TherapySession.Setting.choices,
        initial=TherapySession.Setting.IN_PERSON,
    )
    frequency = forms.ChoiceField(
        label="Repeats",
        choices=Frequency.choices,
        initial=Frequency.WEEKLY,
        help_text="Monthly keeps the week of the month (the 2nd Tuesday stays the 2nd "
        "Tuesday); a series that starts on a 5th weekday skips months without one.",
    )
    until = forms.DateField(
        label="Ends on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Or give a number of sessions.",
    )
    count = forms.IntegerField(
        label="Number of sessions",
        required=False,
        min_value=1,
        max_value=MAX_OCCURRENCES,
        help_text=f"At most {MAX_OCCURRENCES} sessions in one series.",
    )
    service_code = forms.CharField(
        label="Service code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "service-codes", "autocomplete": "off"}),
    )
    save_anyway = forms.BooleanField(
        label="Save anyway (double booking)", required=False
    )

    def clean_date(self):
        return _clean_date(self.cleaned_data["date"])

    def clean_until(self):
        until = self.cleaned_data["until"]
        return _clean_date(until) if until else None

    def clean_service_code(self) -> str:
        return _clean_service_code(self.cleaned_data["service_code"])

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start_time"):
            data["starts_at"] = timezone.make_aware(
                datetime.combine(data["date"], data["start_time"])
            )
        if data.get("until") is None and data.get("count") is None:
            if "until" not in self.errors and "count" not in self.errors:
                self.add_error("count", "Give an end date or a number of sessions.")
        elif data.get("until") and data.get("count"):
            self.add_error(
                "count", "Give an end date or a number of sessions, not both."
            )
        elif data.get("until") and data.get("date") and data["until"] < data["date"]:
            self.add_error("until", "The series ends before its first session.")
        return data

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in (
                "starts_at",
                "frequency",
                "until",
                "count",
                "duration_minutes",
                "modality",
                "setting",
                "service_code",
            )
        }


SCOPES = [
    (services.ONE, "This session only"),
    (services.FOLLOWING, "This and the following sessions of the series"),
]


class MoveForm(ConflictMixin, forms.Form):
    """Reschedule a session, or it and the following ones of its series."""

    date = forms.DateField(
        label="New date", widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label="New start time", widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=5, max_value=600
    )
    scope = forms.ChoiceField(
        label="Change", choices=SCOPES, initial=services.ONE, widget=forms.RadioSelect
    )
    save_anyway = forms.BooleanField(
        label="Save anyway (double booking)", required=False
    )

    def __init__(self, *args, session: TherapySession, **kwargs):
        local = timezone.localtime(session.starts_at)
        kwargs.setdefault(
            "initial",
            {
                "date": local.date(),
                "start_time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": session.duration_minutes,
                "scope": services.ONE,
            },
        )
        super().__init__(*args, **kwargs)
        if not session.series_id:
            del self.fields["scope"]

    def clean_date(self):
        return _clean_date(self.cleaned_data["date"])

    def clean(self):
        data = super().clean()
        data.setdefault("scope", services.ONE)
        if data.get("date") and data.get("start_time"):
            data["starts_at"] = timezone.make_aware(
                datetime.combine(data["date"], data["start_time"])
            )
        return data


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why", choices=CancelReason.choices, widget=forms.RadioSelect
    )
    scope = forms.ChoiceField(
        label="Cancel", choices=SCOPES, initial=services.ONE, widget=forms.RadioSelect
    )

    def __init__(self, *args, session: TherapySession, **kwargs):
        super().__init__(*args, **kwargs)
        if not session.series_id:
            del self.fields["scope"]

    def clean(self):
        data = super().clean()
        data.setdefault("scope", services.ONE)
        return data


class MarkForm(forms.Form):
    """The home's one-click buttons: what became of a past session still scheduled."""

    status = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in TherapySession.Status.choices
            if value in services.MARKS
        ]
    )


class WeekForm(forms.Form):
    """The calendar's week picker (?week=2026-W10)."""

    week = forms.CharField(
        label="Week",
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"type": "week"}),
        help_text="For example 2026-W10.",
    )


class FeedForm(forms.Form):
    """The calendar feed's settings, and which action the button asks for."""

    action = forms.ChoiceField(
        choices=[("issue", "issue"), ("revoke", "revoke"), ("title", "title")],
        widget=forms.HiddenInput,
    )
    title = forms.ChoiceField(
        label="Each event is called",
        choices=CalendarFeed.Title.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Never the client's name.",
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "title" and not data.get("title"):
            self.add_error("title", "Choose what each event is called.")
        return data
