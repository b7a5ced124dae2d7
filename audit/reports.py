"""The audit report (ONC 170.315(d)(3)): any time range, filter and sort by every field,
with allow-listed keys only, and a CSV export safe to open in a spreadsheet."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEvent

# Sort keys users may choose, and the column each orders by. Nothing else reaches order_by().
SORTS = {
    "seq": "seq",
    "at": "at",
    "actor": "actor_email",
    "action": "action",
    "target_type": "target_type",
    "target": "target_code",
    "client": "client_code",
    "ip": "ip",
    "request": "request_id",
}
SORT_CHOICES = [(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS]

COLUMNS = [
    ("seq", "Sequence"),
    ("at", "Time (UTC)"),
    ("actor_email", "User"),
    ("action", "Action"),
    ("target_type", "Object type"),
    ("target_code", "Object"),
    ("client_code", "Client"),
    ("ip", "Source IP"),
    ("request_id", "Request"),
    ("changes", "Details"),
]


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label="From", required=False)
    date_to = forms.DateField(label="To", required=False)
    actor = forms.CharField(label="User (email)", required=False, max_length=254)
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=64,
        help_text="e.g. client.view, or a prefix such as auth.",
    )
    target_type = forms.CharField(label="Object type", required=False, max_length=64)
    target = forms.CharField(label="Object code", required=False, max_length=64)
    client = forms.UUIDField(label="Client code", required=False)
    ip = forms.GenericIPAddressField(label="Source IP", required=False)
    request = forms.CharField(label="Request id", required=False, max_length=64)
    sort = forms.ChoiceField(
        label="Sort by", choices=SORT_CHOICES, required=False, initial="-seq"
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def active_filters(self) -> dict[str, str]:
        """The filters in use, as text: recorded in the report's own audit event."""
        return {
            k: str(v)
            for k, v in self.cleaned_data.items()
            if v not in (None, "") and k != "sort"
        }


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_events(data: dict) -> QuerySet[AuditEvent]:
    """Events matching a valid AuditFilterForm's cleaned data, in the chosen order."""
    events = AuditEvent.objects.all()
    if data.get("date_from"):
        events = events.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        events = events.filter(at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    if data.get("actor"):
        events = events.filter(actor_email__icontains=data["actor"])
    if data.get("action"):
        action = data["action"]
        events = (
            events.filter(action__startswith=action)
            if action.endswith(".")
            else events.filter(action=action)
        )
    if data.get("target_type"):
        events = events.filter(target_type=data["target_type"])
    if data.get("target"):
        events = events.filter(target_code=data["target"])
    if data.get("client"):
        events = events.filter(client_code=data["client"])
    if "client_codes" in data:  # a search by name: the codes of the clients it matched
        events = events.filter(client_code__in=data["client_codes"])
    if data.get("ip"):
        events = events.filter(ip=data["ip"])
    if data.get("request"):
        events = events.filter(request_id=data["request"])
    sort = data.get("sort") or "-seq"
    descending = sort.startswith("-")
    column = SORTS[sort.lstrip("-")]
    order = [f"-{column}" if descending else column]
    if column != "seq":
        order.append("-seq" if descending else "seq")
    return events.order_by(*order)


HEADER = [label for _field, label in COLUMNS]


def csv_rows(events: Iterable[AuditEvent]) -> Iterator[list]:
    """The report's rows for its CSV export (ipnb_notes.csvexport guards every cell)."""
    for event in events:
        values = []
        for field, _label in COLUMNS:
            value = getattr(event, field)
            if field == "at":
                value = value.astimezone(UTC).isoformat()
            elif field == "changes":
                value = json.dumps(value, sort_keys=True, default=str)
            values.append(value)
        yield values
