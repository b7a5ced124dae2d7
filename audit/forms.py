from __future__ import annotations

from django import forms

from audit.models import EmergencyAccess

REASON_MIN_LENGTH = 20


class EmergencyAccessForm(forms.ModelForm):
    class Meta:
        model = EmergencyAccess
        fields = ["client", "reason"]
        labels = {"client": "Client", "reason": "Why you need this record now"}
        help_texts = {
            "reason": (
                f"At least {REASON_MIN_LENGTH} characters. The client's therapists and "
                "the practice admins will see who opened the record, when and why."
            )
        }
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, client_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = client_choices
        self.fields["client"].to_field_name = "code"

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) < REASON_MIN_LENGTH:
            raise forms.ValidationError(
                f"Please describe the emergency in at least {REASON_MIN_LENGTH} characters."
            )
        return reason
