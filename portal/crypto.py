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


def decrypt(stored):
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValueError("credential column holds a value that is not ciphertext")
    try:
        return fernet().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        # Never include the stored value: it is useless to a reader and noisy in logs.
        raise ValueError("camera credential cannot be decrypted with the configured keys") from exc


def rotate(stored):
    """Re-encrypt a stored value with the first (current) key."""
    if not stored:
        return ""
    return PREFIX + fernet().rotate(stored[len(PREFIX):].encode("ascii")).decode("ascii")
