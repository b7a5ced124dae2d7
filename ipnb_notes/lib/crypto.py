"""AES-GCM encryption of clinical free text and second-factor seeds under a ring of keys.

A token is "v2:<key id>:<base64(nonce || ciphertext || tag)>", sealed with associated data
that names the token's place (table, column and row, see ipnb_notes.fields.place_aad): the
same token read anywhere else fails to authenticate. The first key in the ring encrypts;
every key decrypts, so keys rotate by putting a new one first and re-encrypting
(`manage.py rotate_keys`).

"v1" tokens were sealed without a place. They are refused; only the migration that
re-encrypted them as v2 reads them (`decrypt_legacy`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v2"
LEGACY_PREFIX = "v1"


class KeyRingError(ValueError):
    pass


class DecryptionError(KeyRingError):
    """A token that does not authenticate: wrong key, tampered with, or sealed for another
    place."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    current_id: str

    @classmethod
    def parse(cls, entries: list[str]) -> KeyRing:
        keys: dict[str, bytes] = {}
        for entry in entries:
            key_id, sep, b64 = entry.partition(":")
            if not sep or not key_id:
                raise KeyRingError("each key must look like 'id:base64key'")
            try:
                raw = base64.b64decode(b64, validate=True)
            except ValueError:
                raise KeyRingError(f"key {key_id!r} is not valid base64") from None
            if len(raw) != 32:
                raise KeyRingError(f"key {key_id!r} must be 32 bytes, not {len(raw)}")
            keys[key_id] = raw
        if not keys:
            raise KeyRingError("the key ring is empty")
        return cls(keys=keys, current_id=entries[0].partition(":")[0])

    def encrypt(self, plaintext: str, *, aad: bytes) -> str:
        """A v2 token for `plaintext`, readable only with the same `aad` (its place)."""
        if not aad:
            raise KeyRingError("a token must be bound to its place (empty aad)")
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(
            nonce, plaintext.encode(), aad
        )
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, aad: bytes) -> str:
        prefix, key_id, b64 = _split(token)
        if prefix == LEGACY_PREFIX:
            raise KeyRingError(
                "legacy v1 token (not bound to its place) refused: "
                "it should have been re-encrypted by the migration"
            )
        if prefix != PREFIX:
            raise KeyRingError(f"unknown token version {prefix!r}")
        return self._open(key_id, b64, aad)

    def decrypt_legacy(self, token: str, *, aad: bytes = b"") -> str:
        """Read a v1 token (for the one migration that re-encrypts them as v2)."""
        prefix, key_id, b64 = _split(token)
        if prefix != LEGACY_PREFIX:
            raise KeyRingError(f"not a v1 token ({prefix!r})")
        return self._open(key_id, b64, aad)

    def _open(self, key_id: str, b64: str, aad: bytes) -> str:
        if key_id not in self.keys:
            raise KeyRingError(f"no key {key_id!r} in the ring")
        try:
            blob = base64.b64decode(b64, validate=True)
            return AESGCM(self.keys[key_id]).decrypt(blob[:12], blob[12:], aad).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionError(
                f"the token under key {key_id!r} does not authenticate "
                "(wrong key, tampered with, or moved from another place)"
            ) from None

    def needs_rotation(self, token: str) -> bool:
        return key_id_of(token) != self.current_id


def key_id_of(token: str) -> str:
    return _split(token)[1]


def version_of(token: str) -> str:
    return _split(token)[0]


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3:
        raise KeyRingError("not an encrypted token")
    return parts[0], parts[1], parts[2]


def hash_token(token: str) -> str:
    """What is stored of a secret token sent to someone (an invitation, a client's link, a
    calendar feed's address): its SHA-256. A token is random and long, so no salt or key
    stretching is needed; the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def content_hash(text: str) -> str:
    """SHA-256 hex digest of a canonical text, stored when a note is signed."""
    return hashlib.sha256(text.encode()).hexdigest()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
