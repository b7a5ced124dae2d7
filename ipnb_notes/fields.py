"""Model fields that encrypt clinical free text at rest (AES-GCM, keys from the environment)."""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings
from django.db import models

from ipnb_notes.lib.crypto import KeyRing


@lru_cache(maxsize=4)
def _ring(entries: tuple[str, ...]) -> KeyRing:
    return KeyRing.parse(list(entries))


def key_ring() -> KeyRing:
    """The key ring of the current settings (cached per distinct setting value)."""
    return _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """Text stored as an AES-GCM token. Not searchable or sortable in SQL, by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return key_ring().decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return key_ring().encrypt(value)


class EncryptedJSONField(models.TextField):
    """A JSON document (e.g. a note's sections) stored as one AES-GCM token."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return json.loads(key_ring().decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def get_prep_value(self, value):
        if value is None:
            value = {}
        return key_ring().encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))
