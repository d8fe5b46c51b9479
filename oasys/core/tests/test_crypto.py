"""Encryption of values and keyed hashes (oasys.core.crypto)."""

import pytest
from cryptography.fernet import Fernet

from oasys.core import crypto


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OASYS_FIELD_KEYS = [old]
    return old, new


def test_text_round_trips_and_the_token_is_not_the_text(keys):
    token = crypto.encrypt_text("W123456789")
    assert "W123456789" not in token and token.startswith(crypto.TOKEN_PREFIX)
    assert crypto.decrypt_text(token) == "W123456789"
    # a fresh token each time: equal values cannot be spotted in the column
    assert crypto.encrypt_text("W123456789") != token


def test_an_old_key_still_decrypts_and_rotation_moves_to_the_current_one(keys, settings):
    old, new = keys
    token = crypto.encrypt_bytes(b"card")
    settings.OASYS_FIELD_KEYS = [new, old]
    assert crypto.decrypt_bytes(token) == b"card" and not crypto.is_current(token)
    rotated = crypto.rotate_bytes(token)
    assert crypto.is_current(rotated)
    settings.OASYS_FIELD_KEYS = [new]
    assert crypto.decrypt_bytes(rotated) == b"card"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(token)  # the old key is gone


def test_blind_index_is_keyed_and_normalised(settings):
    settings.OASYS_HASH_KEYS = ["a" * 43 + "=", "b" * 43 + "="]
    assert crypto.blind_index(" w123 456789 ") == crypto.blind_index("W123456789")
    assert crypto.blind_index("W123456789") != crypto.blind_index("W123456780")
    assert crypto.blind_index("") == ""
    assert crypto.blind_index("W1", key="b" * 43 + "=") != crypto.blind_index("W1")
    assert crypto.blind_indexes("W1") == [crypto.blind_index("W1", key=k)
                                          for k in settings.OASYS_HASH_KEYS]
    assert len(crypto.blind_index("W1")) == 64
