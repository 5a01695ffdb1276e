"""Encryption of camera stream credentials at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a list of keys from
CAMERA_CREDENTIALS_KEY: the first key encrypts, every key decrypts, so keys can be rotated with
`manage.py rotate_credentials_key` after putting the new key first. Also: short-lived sealed
values for forms (`seal`, `unseal`, below).
"""

import base64
import json
import time
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
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


def fernet_first():
    """The first (current) key alone: what a value must decrypt with to need no rotation."""
    return _fernet(tuple(settings.CAMERA_CREDENTIALS_KEYS[:1]))


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


# --- Sealed form values -----------------------------------------------------------------------
# A secret a person typed into a form that failed validation elsewhere goes back to the browser
# only sealed (encrypted and authenticated), so it need not be retyped and is never in the page
# in clear. The seal is bound to a context (the account and the object of the form) and
# expires. Its keys are derived from CAMERA_CREDENTIALS_KEY (HKDF, own label), so a sealed form
# value and a stored credential can never be taken for one another, and rotation works the same.

SEAL_LABEL = b"camera portal: sealed form value"


class SealBroken(ValueError):
    """A sealed value that does not open here: altered, made for another context, or sealed with
    a key no longer configured."""


class SealExpired(ValueError):
    """A sealed value older than its allowed age."""


@lru_cache(maxsize=4)
def _sealing(keys):
    derived = []
    for key in keys:
        raw = base64.urlsafe_b64decode(key.encode())
        sub = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEAL_LABEL).derive(raw)
        derived.append(Fernet(base64.urlsafe_b64encode(sub)))
    return MultiFernet(derived)


def _sealer():
    fernet()  # the same check of the configured keys, with its message
    return _sealing(tuple(settings.CAMERA_CREDENTIALS_KEYS))


def seal(value, *, context, now=None):
    """`value` encrypted for the browser, openable only with the same `context` (unseal)."""
    payload = json.dumps({"c": context, "v": value}, ensure_ascii=False).encode("utf-8")
    at = int(time.time() if now is None else now)
    return _sealer().encrypt_at_time(payload, at).decode("ascii")


def unseal(token, *, context, max_age, now=None):
    """The value of `token` sealed with `context` at most `max_age` seconds ago.

    Raises SealBroken (altered, another context, unknown key) or SealExpired.
    """
    sealer = _sealer()
    try:
        raw = token.encode("ascii")
        payload = json.loads(sealer.decrypt(raw).decode("utf-8"))
        sealed_at = sealer.extract_timestamp(raw)
    except (InvalidToken, UnicodeError, ValueError, TypeError) as exc:
        raise SealBroken("the sealed value does not open with the configured keys") from exc
    if not isinstance(payload, dict) or payload.get("c") != context:
        raise SealBroken("the sealed value belongs to another context")
    if (time.time() if now is None else now) - sealed_at > max_age:
        raise SealExpired("the sealed value is too old")
    value = payload.get("v")
    if not isinstance(value, str):
        raise SealBroken("the sealed value is not text")
    return value
