"""The key ring that encrypts clinical free text and second-factor seeds."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ipnb_notes.lib.crypto import DecryptionError, KeyRing, KeyRingError, new_key

HERE = b"ipnb-notes|t|c|row-1"


def _ring(*ids_and_keys: tuple[str, str]) -> KeyRing:
    return KeyRing.parse([f"{key_id}:{key}" for key_id, key in ids_and_keys])


def test_it_round_trips_text():
    ring = _ring(("k1", new_key()))

    token = ring.encrypt("Client described feeling flooded — “like a wave”.", aad=HERE)

    assert token.startswith("v2:k1:")
    assert "flooded" not in token
    assert (
        ring.decrypt(token, aad=HERE)
        == "Client described feeling flooded — “like a wave”."
    )


def test_it_uses_a_fresh_nonce_each_time():
    ring = _ring(("k1", new_key()))

    assert ring.encrypt("same", aad=HERE) != ring.encrypt("same", aad=HERE)


def test_a_token_must_name_its_place():
    with pytest.raises(KeyRingError, match="bound to its place"):
        _ring(("k1", new_key())).encrypt("private", aad=b"")


def test_a_wrong_key_does_not_decrypt():
    token = _ring(("k1", new_key())).encrypt("private", aad=HERE)

    with pytest.raises(DecryptionError, match="does not authenticate"):
        _ring(("k1", new_key())).decrypt(token, aad=HERE)


def test_an_unknown_key_id_is_refused():
    token = _ring(("k1", new_key())).encrypt("private", aad=HERE)

    with pytest.raises(KeyRingError, match="no key 'k1'"):
        _ring(("k2", new_key())).decrypt(token, aad=HERE)


def test_tampering_is_detected():
    ring = _ring(("k1", new_key()))
    token = ring.encrypt("private", aad=HERE)
    prefix, key_id, blob = token.split(":", 2)
    flipped = blob[:-4] + ("AAAA" if blob[-4:] != "AAAA" else "BBBB")

    with pytest.raises(DecryptionError):
        ring.decrypt(f"{prefix}:{key_id}:{flipped}", aad=HERE)


def test_associated_data_binds_a_token_to_its_row():
    ring = _ring(("k1", new_key()))
    token = ring.encrypt("private", aad=b"note:1")

    assert ring.decrypt(token, aad=b"note:1") == "private"
    with pytest.raises(DecryptionError):
        ring.decrypt(token, aad=b"note:2")


def _legacy_token(key: str, plaintext: str, aad: bytes = b"") -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(key)).encrypt(nonce, plaintext.encode(), aad)
    return f"v1:k1:{base64.b64encode(nonce + sealed).decode()}"


def test_a_legacy_unbound_token_is_refused_and_read_only_by_the_migration_path():
    key = new_key()
    ring = _ring(("k1", key))
    legacy = _legacy_token(key, "written before tokens were bound")

    with pytest.raises(KeyRingError, match="legacy v1 token"):
        ring.decrypt(legacy, aad=HERE)
    with pytest.raises(KeyRingError, match="legacy v1 token"):
        ring.decrypt(legacy, aad=b"")
    assert ring.decrypt_legacy(legacy) == "written before tokens were bound"
    with pytest.raises(KeyRingError, match="not a v1 token"):
        ring.decrypt_legacy(ring.encrypt("new", aad=HERE))


def test_after_rotation_old_tokens_still_decrypt_and_new_ones_use_the_new_key():
    old_key, new = new_key(), new_key()
    before = _ring(("k1", old_key))
    old_token = before.encrypt("written last year", aad=HERE)

    after = _ring(("k2", new), ("k1", old_key))
    new_token = after.encrypt("written today", aad=HERE)

    assert after.decrypt(old_token, aad=HERE) == "written last year"
    assert after.needs_rotation(old_token)
    assert new_token.startswith("v2:k2:")
    assert not after.needs_rotation(new_token)
    with pytest.raises(KeyRingError):
        before.decrypt(new_token, aad=HERE)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "empty"),
        (["no-separator"], "id:base64key"),
        (["k1:not base64!"], "not valid base64"),
        (["k1:c2hvcnQ="], "must be 32 bytes"),
    ],
)
def test_it_refuses_a_malformed_key_ring(entries, message):
    with pytest.raises(KeyRingError, match=message):
        KeyRing.parse(entries)
