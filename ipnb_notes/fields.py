"""Model fields that encrypt clinical free text at rest (AES-GCM, keys from the environment).

Every token is bound to its place: the associated data names the table, the column and the
row's `code` (a UUID that exists before the INSERT). A token copied into another row or
column, by SQL or by a restored dump, does not decrypt there: reading it raises
MisplacedCiphertext, which names the place.

A value is decrypted lazily, the first time the attribute is read on its instance (the
database converter does not know the row). Writes are sealed in `pre_save`. Writes without an
instance (`QuerySet.update()`, `bulk_update()`) must seal the value for its row with
`seal()`: a plain value there is refused, so no code path can write clear text or an
unbound token, and `.values()` on an encrypted column yields an opaque `Sealed`, never the
token as if it were text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from ipnb_notes.lib.crypto import KeyRing, KeyRingError


@lru_cache(maxsize=4)
def _ring(entries: tuple[str, ...]) -> KeyRing:
    return KeyRing.parse(list(entries))


def key_ring() -> KeyRing:
    """The key ring of the current settings (cached per distinct setting value)."""
    return _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def place_aad(table: str, column: str, row: object) -> bytes:
    """The associated data of a token: where it is allowed to be."""
    return f"ipnb-notes|{table}|{column}|{row}".encode()


class EncryptedValueError(ValueError):
    """An encrypted column used in a way that would expose or unbind its tokens."""


class MisplacedCiphertext(KeyRingError):
    """A stored token that does not decrypt in its place: moved from another row or column,
    tampered with, a legacy unbound token, or written under a key no longer in the ring."""

    def __init__(self, table: str, column: str, row: object, reason: str) -> None:
        self.table, self.column, self.row = table, column, row
        super().__init__(
            f"{table}.{column} of row {row} does not decrypt in its place: {reason}"
        )


class Sealed:
    """A token read from the database and not yet opened (its row is not known yet)."""

    __slots__ = ("column", "table", "token")

    def __init__(self, token: str, table: str, column: str) -> None:
        self.token, self.table, self.column = token, table, column

    def __str__(self) -> str:
        raise EncryptedValueError(
            f"{self.table}.{self.column} is encrypted: read it through its model "
            "instance, not .values() or .values_list()"
        )

    def __repr__(self) -> str:
        return f"<Sealed {self.table}.{self.column}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __reduce__(self):
        return (Sealed, (self.token, self.table, self.column))


class Bound(str):
    """A token sealed for one place, ready to be written there."""


class EncryptedAttribute(DeferredAttribute):
    """Opens the stored token on first read, with the instance's place as associated data,
    and keeps the clear value on the instance for later reads."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.open(instance, value.token)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value


class _Encrypted:
    """What both encrypted fields share; the subclass says how a value becomes text."""

    descriptor_class = EncryptedAttribute
    row_identity = "code"

    def _empty(self, value):
        raise NotImplementedError

    def _dump(self, value) -> str:
        raise NotImplementedError

    def _load(self, text: str):
        raise NotImplementedError

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        try:
            self.model._meta.get_field(self.row_identity)
        except Exception:
            errors.append(
                checks.Error(
                    f"{type(self).__name__} binds its tokens to the row's "
                    f"{self.row_identity!r}, which {self.model.__name__} lacks.",
                    obj=self,
                    id="ipnb_notes.E001",
                )
            )
        return errors

    def place(self, instance) -> tuple[str, str, object]:
        return (
            instance._meta.db_table,
            self.column,
            getattr(instance, self.row_identity),
        )

    def open(self, instance, token: str):
        table, column, row = self.place(instance)
        try:
            text = key_ring().decrypt(token, aad=place_aad(table, column, row))
        except KeyRingError as exc:
            raise MisplacedCiphertext(table, column, row, str(exc)) from None
        return self._load(text)

    def seal(self, instance, value) -> Bound | Any:
        """The value as a token bound to this column of this instance's row."""
        if self._is_empty(value):
            return self._empty(value)
        table, column, row = self.place(instance)
        if row in (None, ""):
            raise EncryptedValueError(
                f"{table}.{column}: the row has no {self.row_identity} to bind its text to"
            )
        return Bound(
            key_ring().encrypt(self._dump(value), aad=place_aad(table, column, row))
        )

    def _is_empty(self, value) -> bool:
        return value is None or value == ""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return self._empty(value)
        return Sealed(value, self.model._meta.db_table, self.column)

    def pre_save(self, model_instance, add):
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, Sealed):
            # Never read since it was loaded: keep its token once it proves to be in place.
            self.open(model_instance, raw.token)
            return Bound(raw.token)
        return self.seal(model_instance, getattr(model_instance, self.attname))

    def get_prep_value(self, value):
        if isinstance(value, Bound):
            return str(value)
        if value is None or value == "":
            return value
        raise EncryptedValueError(
            f"{self.model._meta.db_table}.{self.column} is encrypted for its row: write it "
            "through the model instance, or seal the value with "
            "ipnb_notes.fields.seal(instance, field_name, value) for QuerySet.update()"
        )


class EncryptedTextField(_Encrypted, models.TextField):
    """Text stored as an AES-GCM token. Not searchable or sortable in SQL, by design."""

    def _empty(self, value):
        return value

    def _dump(self, value) -> str:
        return str(value)

    def _load(self, text: str):
        return text


class EncryptedJSONField(_Encrypted, models.TextField):
    """A JSON document (e.g. a note's sections) stored as one AES-GCM token."""

    def _empty(self, value):
        return {}

    def _is_empty(self, value) -> bool:
        # An empty document is still sealed, so the column never holds a bare value.
        return False

    def _dump(self, value) -> str:
        return json.dumps({} if value is None or value == "" else value, sort_keys=True)

    def _load(self, text: str):
        return json.loads(text)

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))


def seal(instance: models.Model, field_name: str, value) -> Bound | Any:
    """`value` sealed for `field_name` of `instance`'s row, for `QuerySet.update()`."""
    return instance._meta.get_field(field_name).seal(instance, value)


def seal_fields(instance: models.Model, values: dict) -> dict:
    """`values` (keyword arguments of an update) with the encrypted ones sealed for
    `instance`'s row."""
    return {
        name: seal(instance, name, value)
        if isinstance(instance._meta.get_field(name), _Encrypted)
        else value
        for name, value in values.items()
    }


def encrypted_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, _Encrypted)]
