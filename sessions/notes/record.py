"""The signed record's reads in one statement: a note's goals, addenda, signatures,
supervision comments, their replies, the reader's supervision links to its author and the
list of revisions (sessions.notes.views.notes._record_context), with the practice's
late-note threshold (practice.note_late_hours_read).

Each read is a queryset of the columns the record prints (built and compiled once per
shape by batch.Baked, the access rules in their statements: access.supervision_links,
access.readable_revisions). They go to PostgreSQL as one statement, each read's rows as
one JSON array (json_agg), instead of seven statements with a cursor, a result and a
queryset clone each. Their rows come back as model instances holding those columns alone
(Model.from_db, each value through its field: an encrypted text opens on first read, as
on any instance), sorted here in their models' order.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection
from django.db.models import F

from accounts.models import User
from clients.models import TreatmentGoal
from ipnb_notes import access, batch, practice
from ipnb_notes.fields import EncryptedJSONField, EncryptedTextField
from sessions.models import (
    Addendum,
    CommentReply,
    NoteRevision,
    NoteSignature,
    SupervisionComment,
)

# The person columns a record prints for each user it names (User.__str__), in the
# model's field order (Model.from_db's).
_PERSON = tuple(
    f.attname
    for f in User._meta.concrete_fields
    if f.attname in ("id", "full_name", "email")
)

# The columns each read selects, in their model's field order (Model.from_db's order), and
# the people each row names: (attribute, foreign key attname).
_GOAL = (TreatmentGoal, ("id", "code", "text", "created_at"), ())
_ADDENDUM = (
    Addendum,
    ("id", "code", "text", "signer_name", "attestation", "signed_at"),
    (),
)
_SIGNATURE = (
    NoteSignature,
    ("id", "kind", "signer_name", "attestation", "content_hash", "at"),
    (),
)
_COMMENT = (
    SupervisionComment,
    (
        "id",
        "code",
        "author_id",
        "kind",
        "text",
        "anchor_type",
        "anchor_code",
        "anchor_section",
        "created_at",
        "resolved_at",
        "resolved_by_id",
    ),
    (("author", "author_id"), ("resolved_by", "resolved_by_id")),
)
_REPLY = (
    CommentReply,
    ("id", "code", "thread_id", "author_id", "text", "created_at"),
    (("author", "author_id"),),
)
_REVISION = (
    NoteRevision,
    ("id", "code", "saved_by_id", "kind", "version", "size", "size_change", "at"),
    (("saved_by", "saved_by_id"),),
)


def _columns(spec, qs):
    """The queryset reading the spec's columns and, per person named, their name columns."""
    model, fields, people = spec
    names = {
        f"{attr}_{column}": F(f"{attr}__{column}")
        for attr, _ in people
        for column in _PERSON
        if column != "id"
    }
    return qs.order_by().values(*fields, **names)


def record_reads(user, note_id: int, author_id: int, *, revisions: bool) -> list:
    """The record's reads (for batch.Baked): goals, addenda, signatures, comments, replies,
    the reader's supervision links to the author and, for a clinician reader, the
    revisions the reader may list (access.readable_revisions)."""
    reads = [
        _columns(_GOAL, TreatmentGoal.objects.filter(notes=note_id)),
        _columns(_ADDENDUM, Addendum.objects.filter(note_id=note_id)),
        _columns(_SIGNATURE, NoteSignature.objects.filter(note_id=note_id)),
        _columns(_COMMENT, SupervisionComment.objects.filter(note_id=note_id)),
        _columns(_REPLY, CommentReply.objects.filter(thread__note_id=note_id)),
        access.supervision_links(user, author_id),
    ]
    if revisions:
        reads.append(
            access.readable_revisions(
                user, _columns(_REVISION, NoteRevision.objects.filter(note_id=note_id))
            )
        )
    return reads


_READS = batch.Baked(record_reads)

# The one statement per shape of reads (their SQL texts).
_STATEMENTS: dict[tuple, str] = {}


def _statement(bound: list[batch.Bound], late: batch.Raw) -> tuple[str, list]:
    """One statement for the baked reads and the practice's late-note threshold: each
    read's rows as one JSON array (NULL for a read that can return no row)."""
    if isinstance(late.params, Mapping):
        raise TypeError("the threshold's read takes positional parameters")
    key = (*(b.sql if b.compiler is not None else None for b in bound), late.sql)
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = _STATEMENTS[key] = "SELECT " + ", ".join(
            f"(SELECT json_agg(q) FROM ({text}) q)" if text is not None else "NULL"
            for text in key
        )
    params = [p for b in bound if b.compiler is not None for p in b.params]
    return sql, [*params, *late.params]


def _person(row: dict, attr: str, pk) -> User | None:
    if pk is None:
        return None
    return User.from_db(
        None,
        _PERSON,
        [pk if column == "id" else row[f"{attr}_{column}"] for column in _PERSON],
    )


def _instances(spec, rows: list[dict] | None, keys: tuple[str, ...]) -> list:
    """The rows as instances of the spec's model holding its columns, in the model's
    order (`keys`, then id)."""
    if not rows:
        return []
    model, fields, people = spec
    convert = [_converter(model, name) for name in fields]
    out = []
    for row in rows:
        obj = model.from_db(
            None,
            fields,
            [c(row[name]) for c, name in zip(convert, fields, strict=True)],
        )
        for attr, fk in people:
            person = _person(row, attr, row[fk])
            if person is not None:
                setattr(obj, attr, person)
        out.append(obj)
    out.sort(key=lambda obj: tuple(getattr(obj, k) for k in keys) + (obj.pk,))
    return out


_CONVERTERS: dict = {}


def _converter(model, name: str):
    """A JSON value of the column as the model's instance holds it: an encrypted text
    sealed (opened on first read), anything else through the field's to_python."""
    found = _CONVERTERS.get((model, name))
    if found is None:
        field = next(f for f in model._meta.concrete_fields if f.attname == name)
        if isinstance(field, (EncryptedTextField, EncryptedJSONField)):

            def found(value, field=field):
                return field.from_db_value(value, None, connection)

        else:

            def found(value, field=field):
                return None if value is None else field.to_python(value)

        _CONVERTERS[(model, name)] = found
    return found


def read(user, note_id: int, author_id: int, *, revisions: bool) -> tuple:
    """(goals, addenda, signatures, comments, replies, links, revisions or None, the
    practice's late-note threshold in hours), in one statement and one round trip."""
    sql, params = _statement(
        _READS(user, note_id, author_id, revisions=revisions),
        practice.note_late_hours_read(),
    )
    [(_, [row])] = batch.run([(sql, params)], names=False)
    goals, addenda, signatures, comments, replies, links, *listed, late = row
    return (
        _instances(_GOAL, goals, ("created_at",)),
        _instances(_ADDENDUM, addenda, ("signed_at",)),
        _instances(_SIGNATURE, signatures, ("at",)),
        _instances(_COMMENT, comments, ("created_at",)),
        _instances(_REPLY, replies, ("created_at",)),
        [next(iter(link.values())) for link in links or ()],
        _instances(_REVISION, listed[0], ("at",)) if listed else None,
        # The threshold's rows as its read gives them (each a tuple of its columns).
        practice.note_late_hours_of([tuple(r.values()) for r in late or ()]),
    )
