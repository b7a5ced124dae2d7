from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from accounts.models import User


class InviteForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Full name")
    email = forms.EmailField(max_length=254, label="Email address")
    credentials = forms.CharField(
        max_length=60, required=False, help_text="e.g. LMFT, PhD, associate"
    )
    role = forms.ChoiceField(choices=User.Role.choices, initial=User.Role.THERAPIST)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists."
            )
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=User.Role.choices)


class SupervisionForm(forms.Form):
    supervisor = forms.ModelChoiceField(
        queryset=User.objects.none(), to_field_name="code"
    )
    started_on = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    requires_cosignature = forms.BooleanField(
        required=False,
        label="Requires co-signature",
        help_text="Signed notes wait for this supervisor's co-signature.",
    )

    def __init__(self, *args, supervisor_choices, supervisee: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisor_choices.exclude(
            pk=supervisee.pk
        )


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. A long passphrase is welcome.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class DeactivateForm(forms.Form):
    """Deactivating a clinician who still has clients in care asks the admin to say so: the
    clients keep them as therapist (and nobody else sees them) until the caseload moves."""

    leave_caseload = forms.BooleanField(required=False)
    # The count the admin was shown: if it changed before they confirmed, they confirm again.
    clients_seen = forms.CharField(
        required=False, max_length=12, widget=forms.HiddenInput
    )

    def __init__(self, *args, caseload, **kwargs):
        super().__init__(*args, **kwargs)
        self.caseload = caseload
        self.fields["clients_seen"].initial = caseload.total
        field = self.fields["leave_caseload"]
        if caseload.total:
            field.label = (
                f"Deactivate anyway: {caseload.total} client"
                f"{'s' if caseload.total != 1 else ''} in care will have no active "
                f"therapist of record until their caseload is transferred."
            )
        else:
            del self.fields["leave_caseload"]

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("clients_seen", "")
        if self.caseload.total and seen != str(self.caseload.total):
            raise forms.ValidationError(
                f"The number of clients changed while this page was open: it is now "
                f"{self.caseload.total}. Please confirm again."
            )
        if self.caseload.total and not cleaned.get("leave_caseload"):
            self.add_error(
                "leave_caseload",
                "Transfer the caseload first, or tick this box to deactivate the "
                "account now and transfer the clients afterwards.",
            )
        return cleaned
