from __future__ import annotations

from uuid import UUID

from django import forms

REASON_MIN_LENGTH = 20
NAME_MIN_LENGTH = 3
# The audit report's name search shows the events of at most this many matching clients.
CLIENT_MATCH_LIMIT = 20


class EmergencyLookupForm(forms.Form):
    """Find the one client an emergency grant should name. The page lists no clients: the
    user types the client's code, or enough of a name to pick them out."""

    query = forms.CharField(
        label="Client code or name",
        max_length=150,
        help_text=(
            "The client's code (as on their file), or at least "
            f"{NAME_MIN_LENGTH} characters of their name."
        ),
    )

    def clean_query(self) -> str:
        query = " ".join(self.cleaned_data["query"].split())
        try:
            UUID(query)
        except ValueError:
            if len(query) < NAME_MIN_LENGTH:
                raise forms.ValidationError(
                    f"Type at least {NAME_MIN_LENGTH} characters of the client's name, "
                    "or their full client code."
                ) from None
        return query


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        if obj.date_of_birth:
            return f"{obj.display_name}, born {obj.date_of_birth:%b %-d, %Y}"
        return obj.display_name


class EmergencyAccessForm(forms.Form):
    """The grant itself: one client picked from a look-up, and the reason."""

    client = ClientChoiceField(
        queryset=None,
        to_field_name="code",
        widget=forms.RadioSelect,
        empty_label=None,
        label="Client",
    )
    reason = forms.CharField(
        label="Why you need this record now",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"At least {REASON_MIN_LENGTH} characters. The client's therapists and "
            "the practice admins will see who opened the record, when and why."
        ),
    )

    def __init__(self, *args, client_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = client_choices

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) < REASON_MIN_LENGTH:
            raise forms.ValidationError(
                f"Please describe the emergency in at least {REASON_MIN_LENGTH} characters."
            )
        return reason


class ClientNameSearchForm(forms.Form):
    """The audit report's search by client name. POSTed, so the name never enters a URL;
    audited by its length alone."""

    client_name = forms.CharField(
        label="Client name",
        max_length=150,
        help_text=(
            f"At least {NAME_MIN_LENGTH} characters of the client's name. Shows the events "
            f"of up to {CLIENT_MATCH_LIMIT} matching clients."
        ),
    )

    def clean_client_name(self) -> str:
        name = " ".join(self.cleaned_data["client_name"].split())
        if len(name) < NAME_MIN_LENGTH:
            raise forms.ValidationError(
                f"Type at least {NAME_MIN_LENGTH} characters of the client's name."
            )
        return name
