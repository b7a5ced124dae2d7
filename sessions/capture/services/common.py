"""Event kinds, tags, the capture error and helpers shared by the capture services."""

from __future__ import annotations

import uuid

from django.db.models.query import BaseIterable
from django.db.models.sql.constants import MULTI

import audit
from sessions.capture import kinds
from sessions.models import TherapySession

MINUTE_MARGIN = 30

# Derived from the registry (sessions/capture/kinds.py): kind name -> model, model -> kind name, and
# each panel button's tag -> (model, the values it sets).
KIND_MODELS = {k.name: k.model for k in kinds.KINDS}

MODEL_KINDS = {k.model: k.name for k in kinds.KINDS}

TAGS = {tag: (kind.model, dict(b.values)) for tag, (kind, b) in kinds.BUTTONS.items()}

LOCKED_MESSAGE = "This session's note is signed; record changes in an addendum."

REUSED_KEY = (
    "This form was already used for another session; reload the page and tag again."
)


class CaptureError(Exception):
    """A capture rule was broken; the message is shown beside `field` (or above the form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def audit_event(action, *, event, session, by, request, changes=None):
    audit.record(
        action,
        actor=by,
        request=request,
        target=event,
        client_code=session.client.code,
        changes={"session": str(session.code), **(changes or {})},
    )


def rollup(session: TherapySession) -> None:
    from dashboards.services import request_rollup

    request_rollup(session.client)


def existing_event(model, key: uuid.UUID | None, session: TherapySession):
    if key is None:
        return None
    return model.objects.filter(idempotency_key=key, session=session).first()


def session_event_querysets(session) -> dict:
    """The session's events by kind, as querysets (one per kind, whatever their number).
    `session` is the session or its id (the timeline bakes them from the id)."""
    querysets = {}
    for kind in kinds.KINDS:
        qs = kind.model.objects.filter(session=session)
        if kind.related:
            qs = qs.select_related(*kind.related)
        querysets[kind.name] = qs
    return querysets


def session_events(session):
    """The session's events by kind, read in one round trip."""
    from ipnb_notes import batch

    queries = session_event_querysets(session)
    return dict(zip(queries, batch.fetch(*queries.values()), strict=True))


class PlainRowsIterable(BaseIterable):
    """The rows of a values_list queryset as the statement returns them (tuples), with no
    converter per column: for reads whose columns need none (psycopg loads the types, and
    the time zone of timestamps is set on the connection). An encrypted column comes as its
    stored token, not as a Sealed value."""

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(queryset.db)
        for chunk in compiler.execute_sql(
            MULTI, chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size
        ):
            yield from chunk


def plain_rows(queryset):
    """`queryset` (values_list) read as PlainRowsIterable rows."""
    queryset = queryset.all()
    queryset._iterable_class = PlainRowsIterable
    return queryset
