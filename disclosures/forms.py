"""Input for recording an authorization and for releasing records."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from disclosures.models import Authorization, Purpose


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuthorizationForm(forms.ModelForm):
    class Meta:
        model = Authorization
        fields = [
            "purpose",
            "recipient",
            "covers_psychotherapy_notes",
            "signed_on",
            "expires_on",
        ]
        labels = {
            "recipient": "Recipient",
            "covers_psychotherapy_notes": "This authorization names psychotherapy notes",
            "signed_on": "Signed by the client on",
            "expires_on": "Expires on",
        }
        help_texts = {
            "recipient": "The person or organisation the client authorized, as written on "
            "the form (name, role, address). Encrypted at rest.",
            "expires_on": "Leave empty when the authorization names an event instead of a "
            "date; revoke it when that event happens.",
        }
        widgets = {
            "recipient": forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
            "signed_on": DateInput(),
            "expires_on": DateInput(),
        }

    def clean_recipient(self) -> str:
        recipient = self.cleaned_data["recipient"].strip()
        if not recipient:
            raise forms.ValidationError("Name the recipient the client authorized.")
        if len(recipient) > 500:
            raise forms.ValidationError("Keep the recipient under 500 characters.")
        return recipient

    def clean_signed_on(self):
        signed_on = self.cleaned_data["signed_on"]
        if signed_on > timezone.localdate():
            raise forms.ValidationError("The signing date cannot be in the future.")
        return signed_on

    def clean(self):
        cleaned = super().clean()
        signed_on, expires_on = cleaned.get("signed_on"), cleaned.get("expires_on")
        if signed_on and expires_on and expires_on < signed_on:
            self.add_error(
                "expires_on", "The authorization cannot expire before it was signed."
            )
        return cleaned


class _ReleaseBase(forms.Form):
    purpose = forms.ChoiceField(choices=Purpose.choices)
    description = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was released and why, as the client would read it in their "
        "accounting of disclosures. Encrypted at rest.",
    )

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError("Describe what is released and why.")
        return description


class AuthorizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Authorization) -> str:
        expiry = f", until {obj.expires_on:%b %-d, %Y}" if obj.expires_on else ""
        return f"{obj.get_purpose_display()}: signed {obj.signed_on:%b %-d, %Y}{expiry}"


class ReleaseForm(_ReleaseBase):
    """Release of the client record: recipient, purpose, description, an optional period and
    an optional authorization (treatment, payment and operations need none)."""

    recipient = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who receives the record: name, role, organisation. Encrypted at rest.",
    )
    date_from = forms.DateField(
        required=False, label="Sessions from", widget=DateInput()
    )
    date_to = forms.DateField(required=False, label="Sessions to", widget=DateInput())
    authorization = AuthorizationChoiceField(
        queryset=Authorization.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="None (treatment, payment or operations)",
        help_text="The client's authorization this release relies on, if any.",
    )

    field_order = [
        "recipient",
        "purpose",
        "description",
        "date_from",
        "date_to",
        "authorization",
    ]

    def __init__(self, *args, authorizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if authorizations is not None:
            self.fields["authorization"].queryset = authorizations

    def clean_recipient(self) -> str:
        recipient = self.cleaned_data["recipient"].strip()
        if not recipient:
            raise forms.ValidationError("Name who receives the record.")
        return recipient

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The period cannot end before it starts.")
        authorization, purpose = cleaned.get("authorization"), cleaned.get("purpose")
        if authorization and purpose and authorization.purpose != purpose:
            self.add_error(
                "authorization",
                f"This authorization is for “{authorization.get_purpose_display()}”: "
                "choose that purpose or another authorization.",
            )
        return cleaned


class ProcessNoteReleaseForm(_ReleaseBase):
    """Release of one psychotherapy note: the recipient is the one the authorization names."""

    field_order = ["purpose", "description"]
