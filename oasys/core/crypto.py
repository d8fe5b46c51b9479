"""PHI at rest: Fernet encryption of values and files, and keyed hashes for exact lookups.

Keys come from the environment through settings (`OASYS_FIELD_KEYS`, `OASYS_HASH_KEYS`):
each is a list whose first key is the current one. Values are encrypted with the current
field key and decrypted with any of them (cryptography's MultiFernet), so a new key goes at
the front, old rows keep working, and `oasys keys rotate` re-encrypts them under the new key
before the old one is dropped. Hashes (HMAC-SHA256 over a normalised value) let a column be
matched exactly without storing it readable; a search computes the hash under every hash key,
so rotating the hash key does not blind search while `oasys keys rotate` recomputes them.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# Every Fernet token starts with its version byte 0x80, which is "gAAAAA" in base64.
TOKEN_PREFIX = "gAAAAA"


class DecryptionError(Exception):
    """A stored value that none of the configured keys opens (a key was dropped too early)."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.OASYS_FIELD_KEYS])


@lru_cache(maxsize=1)
def _current_fernet() -> Fernet:
    return Fernet(settings.OASYS_FIELD_KEYS[0])


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs) -> None:
    # Tests swap keys with the settings fixture; the cached key rings follow.
    if setting in {"OASYS_FIELD_KEYS", "OASYS_HASH_KEYS"}:
        _fernet.cache_clear()
        _current_fernet.cache_clear()


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError("No configured OASYS_FIELD_KEYS key opens this value") from exc


def encrypt_text(value: str) -> str:
    return encrypt_bytes(value.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token.encode("ascii")).decode()


def is_current(token: bytes) -> bool:
    """Whether `token` is already encrypted under the current key (rotation skips it)."""
    try:
        _current_fernet().decrypt(token)
    except InvalidToken:
        return False
    return True


def rotate_bytes(token: bytes) -> bytes:
    """The same plaintext encrypted under the current key."""
    try:
        return _fernet().rotate(token)
    except InvalidToken as exc:
        raise DecryptionError("No configured OASYS_FIELD_KEYS key opens this value") from exc


def looks_encrypted(data: bytes) -> bool:
    return data.startswith(TOKEN_PREFIX.encode("ascii"))


def normalised(value: str) -> str:
    """What a lookup compares: member IDs are matched regardless of case and spacing."""
    return "".join(value.split()).upper()


def blind_index(value: str, *, key: str | None = None) -> str:
    """The keyed hash of a value (empty for an empty value, which is never searched)."""
    text = normalised(value or "")
    if not text:
        return ""
    secret = (key if key is not None else settings.OASYS_HASH_KEYS[0]).encode()
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def blind_indexes(value: str) -> list[str]:
    """The value's hash under every configured hash key, for a search during a rotation."""
    hashes = [blind_index(value, key=key) for key in settings.OASYS_HASH_KEYS]
    return [h for h in dict.fromkeys(hashes) if h]
