"""Encryption of camera stream credentials at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a list of keys from
CAMERA_CREDENTIALS_KEY: the first key encrypts, every key decrypts, so keys can be rotated with
`manage.py rotate_credentials_key` after putting the new key first.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Stored values carry a prefix so a plain value (never expected) is told apart from ciphertext.
PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(keys):
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CAMERA_CREDENTIALS_KEY must be one or more comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)."
        ) from exc


def fernet():
    return _fernet(tuple(settings.CAMERA_CREDENTIALS_KEYS))


def encrypt(plain):
    """Ciphertext for a non-empty string; the empty string stays empty (no secret to hide)."""
    if not plain:
        return ""
    return PREFIX + fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def _token(stored):
    if not stored.startswith(PREFIX):
        raise ValueError("credential column holds a value that is not ciphertext")
    return stored[len(PREFIX):].encode("ascii")


def decrypt(stored):
    if not stored:
        return ""
    try:
        return fernet().decrypt(_token(stored)).decode("utf-8")
    except InvalidToken as exc:
        # Never include the stored value: it is useless to a reader and noisy in logs.
        raise ValueError("camera credential cannot be decrypted with the configured keys") from exc


def sealed_with_current_key(stored):
    """Whether a stored value is empty or encrypted with the first (current) key."""
    if not stored:
        return True
    try:
        _fernet(tuple(settings.CAMERA_CREDENTIALS_KEYS[:1])).decrypt(_token(stored))
    except InvalidToken:
        return False
    return True


def rotate(stored):
    """Re-encrypt a stored value with the first (current) key, without handing out the plain
    value; ValueError when no configured key decrypts it."""
    if not stored:
        return ""
    try:
        return PREFIX + fernet().rotate(_token(stored)).decode("ascii")
    except InvalidToken as exc:
        raise ValueError("camera credential cannot be decrypted with the configured keys") from exc
