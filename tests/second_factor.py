"""The second factor in tests: an account's authenticator app as its phone would be.

* `give_app(user)`: the account's app (made if it has none), as enrolment leaves it.
* `code_for(device)`: the 6-digit code the app shows now, or in the next 30 s step when this
  step's code was already used (a code works once: a test signing in twice within 30 s types
  the next one, which the portal accepts as one step of clock difference).
* `code_for_seed(seed)`, `seed_from_secret(text)`: the code of a key being set up, and the key
  read off the enrolment page.
* `verify_session(client, user)`: marks a test client's session verified the way the code page
  does (django-otp's session key), so a `force_login`'d client counts as fully signed in
  (tests/conftest.py applies it to every `force_login` and `login`). Production has no such
  switch: only a right code or enrolment writes that key.
"""

import base64
import time

from django_otp import DEVICE_ID_SESSION_KEY

from portal import twofactor
from portal.models import TotpDevice


def give_app(user):
    device = TotpDevice.objects.filter(user=user).first()
    if device is None:
        device = TotpDevice.objects.create(
            user=user, name=twofactor.APP_DEVICE_NAME, key=twofactor.new_seed()
        )
    return device


def code_for(device):
    """The code of `device` now, never of a step already used: the next step's when this one's
    was used (within the portal's tolerance), after waiting for the clock when even that one was."""
    device.refresh_from_db(fields=["last_t"])
    step = device.last_t + 1
    if device.totp().t() + TotpDevice.TOLERANCE < step:
        time.sleep(max(0.0, (step - TotpDevice.TOLERANCE) * TotpDevice.STEP - time.time()) + 0.1)
    step = max(step, device.totp().t())
    return f"{device.totp(step * TotpDevice.STEP).token():0{TotpDevice.DIGITS}d}"


def code_for_seed(seed, at=None):
    """The code an app set up with `seed` (hex) shows at `at` (now): enrolment, before any
    device is stored."""
    totp = TotpDevice(key=seed).totp(at)
    return f"{totp.token():0{TotpDevice.DIGITS}d}"


def seed_from_secret(secret):
    """The hex seed of a key shown on the enrolment page (base32 in groups)."""
    text = "".join(secret.split()).upper()
    return base64.b32decode(text + "=" * (-len(text) % 8)).hex()


def verify_session(client, user):
    device = give_app(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(twofactor.PENDING, None)
    session.save()
    return device
