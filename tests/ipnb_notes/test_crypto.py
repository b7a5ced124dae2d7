"""The key ring that encrypts clinical free text."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from ipnb_notes.lib.crypto import KeyRing, KeyRingError, new_key


def _ring(*ids_and_keys: tuple[str, str]) -> KeyRing:
    return KeyRing.parse([f"{key_id}:{key}" for key_id, key in ids_and_keys])


def test_it_round_trips_text():
    ring = _ring(("k1", new_key()))

    token = ring.encrypt("Client described feeling flooded — “like a wave”.")

    assert token.startswith("v1:k1:")
    assert "flooded" not in token
    assert ring.decrypt(token) == "Client described feeling flooded — “like a wave”."


def test_it_uses_a_fresh_nonce_each_time():
    ring = _ring(("k1", new_key()))

    assert ring.encrypt("same") != ring.encrypt("same")


def test_a_wrong_key_does_not_decrypt():
    token = _ring(("k1", new_key())).encrypt("private")

    with pytest.raises(InvalidTag):
        _ring(("k1", new_key())).decrypt(token)


def test_an_unknown_key_id_is_refused():
    token = _ring(("k1", new_key())).encrypt("private")

    with pytest.raises(KeyRingError, match="no key 'k1'"):
        _ring(("k2", new_key())).decrypt(token)


def test_tampering_is_detected():
    ring = _ring(("k1", new_key()))
    token = ring.encrypt("private")
    prefix, key_id, blob = token.split(":", 2)
    flipped = blob[:-4] + ("AAAA" if blob[-4:] != "AAAA" else "BBBB")

    with pytest.raises((InvalidTag, ValueError)):
        ring.decrypt(f"{prefix}:{key_id}:{flipped}")


def test_associated_data_binds_a_token_to_its_row():
    ring = _ring(("k1", new_key()))
    token = ring.encrypt("private", aad=b"note:1")

    assert ring.decrypt(token, aad=b"note:1") == "private"
    with pytest.raises(InvalidTag):
        ring.decrypt(token, aad=b"note:2")


def test_after_rotation_old_tokens_still_decrypt_and_new_ones_use_the_new_key():
    old_key, new = new_key(), new_key()
    before = _ring(("k1", old_key))
    old_token = before.encrypt("written last year")

    after = _ring(("k2", new), ("k1", old_key))
    new_token = after.encrypt("written today")

    assert after.decrypt(old_token) == "written last year"
    assert after.needs_rotation(old_token)
    assert new_token.startswith("v1:k2:")
    assert not after.needs_rotation(new_token)
    with pytest.raises(KeyRingError):
        before.decrypt(new_token)


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
