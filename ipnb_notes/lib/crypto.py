"""AES-GCM encryption of clinical free text under a ring of keys from the environment.

A token is "v1:<key id>:<base64(nonce || ciphertext || tag)>". The first key in the ring
encrypts; every key decrypts, so keys rotate by putting a new one first and re-encrypting
(`manage.py rotate_keys`).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class KeyRingError(ValueError):
    pass


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

    def encrypt(self, plaintext: str, *, aad: bytes = b"") -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(
            nonce, plaintext.encode(), aad
        )
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, aad: bytes = b"") -> str:
        prefix, key_id, b64 = _split(token)
        if prefix != PREFIX or key_id not in self.keys:
            raise KeyRingError(f"no key {key_id!r} in the ring")
        blob = base64.b64decode(b64)
        return AESGCM(self.keys[key_id]).decrypt(blob[:12], blob[12:], aad).decode()

    def needs_rotation(self, token: str) -> bool:
        return _split(token)[1] != self.current_id


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3:
        raise KeyRingError("not an encrypted token")
    return parts[0], parts[1], parts[2]


def content_hash(text: str) -> str:
    """SHA-256 hex digest of a canonical text, stored when a note is signed."""
    return hashlib.sha256(text.encode()).hexdigest()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
