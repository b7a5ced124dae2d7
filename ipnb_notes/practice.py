"""The practice's own settings (the one PracticeSettings row, ipnb_notes/models.py): today, when a
progress note counts as late.

`note_late_hours()` is the ONE place the threshold is read. The home page, the note page and
the dashboards (their SQL takes it as a parameter) all call it; no module writes the number.
The stored rollups count late notes, so a change queues their rebuild (`set_note_late_hours`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from asgiref.local import Local
from django import forms
from django.core.signals import request_finished, request_started
from django.db import connection, transaction

from ipnb_notes import batch
from ipnb_notes.models import (
    DEFAULT_NOTE_LATE_HOURS,
    MAX_NOTE_LATE_HOURS,
    MIN_NOTE_LATE_HOURS,
    PracticeSettings,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

# Cached for the current request at most (a page may ask more than once); outside a request
# (tasks, shell) every call reads the database.
_request = Local()


def _request_begins(**kwargs) -> None:
    _request.cache = {}


def _request_ends(**kwargs) -> None:
    _request.cache = None


request_started.connect(_request_begins, dispatch_uid="practice_settings_begin")
request_finished.connect(_request_ends, dispatch_uid="practice_settings_end")


def current() -> PracticeSettings:
    """The practice's settings (the defaults until an admin saves them). Read from the
    database on every call: a change shows on the very next request, in every process."""
    return PracticeSettings.objects.filter(pk=1).first() or PracticeSettings(pk=1)


# The one row's threshold, as a fixed prepared statement (ipnb_notes.batch): the ORM built
# and compiled this read on every page that shows lateness.
_LATE_HOURS_SQL = "SELECT {column} FROM {table} WHERE {pk} = 1".format(
    column=connection.ops.quote_name(
        PracticeSettings._meta.get_field("note_late_hours").column
    ),
    table=connection.ops.quote_name(PracticeSettings._meta.db_table),
    pk=connection.ops.quote_name(PracticeSettings._meta.pk.column),
)


def note_late_hours() -> int:
    """Hours after a session's end past which its note is late (signed or not)."""
    cache = getattr(_request, "cache", None)
    if cache is not None and "note_late_hours" in cache:
        return cache["note_late_hours"]
    [(_, rows)] = batch.run([(_LATE_HOURS_SQL, [])], names=False)
    return note_late_hours_of(rows)


def note_late_hours_read() -> batch.Raw:
    """The same read for a page that sends it in its own round trip (batch.fetch): give
    its rows to `note_late_hours_of`."""
    return batch.Raw(_LATE_HOURS_SQL)


def note_late_hours_of(rows: list[tuple]) -> int:
    """The threshold from the rows of `note_late_hours_read`, kept for the rest of the
    request as `note_late_hours` keeps it."""
    hours = rows[0][0] if rows else DEFAULT_NOTE_LATE_HOURS
    cache = getattr(_request, "cache", None)
    if cache is not None:
        cache["note_late_hours"] = hours
    return hours


def note_late_after() -> timedelta:
    return timedelta(hours=note_late_hours())


def set_note_late_hours(
    hours: int, *, by: User, request: HttpRequest | None = None
) -> PracticeSettings:
    """Save the threshold, audit old and new values and queue the rebuild of the rollups
    that store late counts. Unchanged values write nothing."""
    import audit
    from ipnb_notes import outbox

    with transaction.atomic():
        row, _ = PracticeSettings.objects.select_for_update().get_or_create(pk=1)
        old = row.note_late_hours
        if old == hours:
            return row
        row.note_late_hours = hours
        row.updated_by = by
        row.full_clean()
        row.save()
        audit.record(
            "practice.settings_change",
            actor=by,
            request=request,
            target=row,
            changes={"note_late_hours": [old, hours]},
        )
        outbox.enqueue("dashboards.tasks.rollup_refresh_all")
    if getattr(_request, "cache", None) is not None:
        _request.cache = {}
    return row


class NoteTimelinessForm(forms.Form):
    note_late_hours = forms.IntegerField(
        label="A note is late after (hours)",
        min_value=MIN_NOTE_LATE_HOURS,
        max_value=MAX_NOTE_LATE_HOURS,
        help_text="Hours from the end of a session to the author's signature. 72 by "
        "default (DOMAIN norms: avoid more than 72 h); 24 or 48 where a payer or state "
        "asks for it. The dashboards are recomputed after a change.",
    )
