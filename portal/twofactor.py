"""Two-factor sign-in: an authenticator app (TOTP) with recovery codes, after the password.

Who must use it is the registry's rule (facilities/roles.py, `second_factor_required`); the
pages are portal/twofactor_views.py and the gate that sends an account to them is
portal/twofactor_gate.py. This module holds what they share, without a request's page:

- Devices are django-otp's abstract Device (portal/models.py): django-otp's own TOTP and static
  models keep seeds and codes in clear. The seed is encrypted like the camera credentials; the
  recovery codes are stored as SHA-256 digests (80 random bits each, nothing to guess back).
- A session is verified the way django-otp's `login` does it: the persistent id of the device
  that passed, in the session (DEVICE_ID_SESSION_KEY). The gate trusts that key without
  reading the device again, so a verified page costs no query (the main pages' query budgets
  are pinned, tests/test_query_budget.py); `reset` therefore ends the account's sessions.
- Sign-in order: the password (the portal's and the admin's login pages, unchanged: django-axes
  counts their failures) signs the session in; the gate then asks for the code. A password
  accepted for an account that has an app marks the session PENDING, so even an account that
  chose the app freely (a facility manager) is asked for it.
- Wrong codes are failed logins for django-axes (Django's `user_login_failed`, with the
  account's name and the request): the same count, limit and cool-off per name and address as
  wrong passwords, and the same lock-out event. Axes' reset on success is off
  (settings.AXES_RESET_ON_SUCCESS): a password alone would otherwise wipe the count of wrong
  codes, and a person who knows the password could guess codes forever, four at a time. The
  count starts again only when a sign-in is complete (`sign_in_complete`).
- Enrolment keeps the new seed sealed in the session (portal/crypto.py `seal`, bound to the
  account) until a first code confirms it: no seed is stored before it works, and another
  session cannot read the seed being set up.
"""

import base64
import secrets
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY, user_login_failed
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from portal import crypto
from portal.account_events import WRONG_CODE_MARK, record_event
from portal.axes_hooks import client_ip
from portal.models import AccountEventKind, RecoveryCode, RecoveryCodeSet, TotpDevice

# Session keys: a password was accepted for an account that has an app; the seed being set up
# (sealed).
PENDING = "_otp_pending"
SETUP_SEED = "_otp_setup_seed"
# A seed shown for enrolment stays usable this long (then a new one is shown).
SETUP_MAX_AGE = 3600

KEY_BYTES = 20  # 160 bits, RFC 4226's recommended length
RECOVERY_CODES = 10
RECOVERY_CODE_BYTES = 10  # 80 bits: 16 base32 characters, shown in four groups of four

APP_DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"


# --- Seeds, codes and the QR code ---------------------------------------------------------------


def new_seed():
    """A new TOTP seed, hex-encoded as django-otp stores keys."""
    return secrets.token_hex(KEY_BYTES)


def seed_base32(seed):
    """The seed as authenticator apps take it when typed (RFC 4648 base32, no padding)."""
    return base64.b32encode(bytes.fromhex(seed)).decode("ascii").rstrip("=")


def grouped(text, size=4):
    """`text` in groups of `size` characters, easier to type from the screen."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def provisioning_uri(user, seed):
    """The otpauth:// address a QR code carries (Key Uri Format of Google Authenticator, which
    every common app reads): issuer and account name shown in the app, the seed, 6 digits, 30 s."""
    issuer = settings.OTP_ISSUER
    label = quote(f"{issuer}:{user.get_username()}", safe=":")
    query = urlencode(
        {
            "secret": seed_base32(seed),
            "issuer": issuer,
            "digits": TotpDevice.DIGITS,
            "period": TotpDevice.STEP,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(data):
    """`data` as a QR code in SVG markup to put inline in a page.

    Inline SVG is markup, not a script or a style: the Content-Security-Policy (no inline
    script, no inline style) lets it through; the library's paths carry presentation
    attributes only (fill), and the page's stylesheet sizes it.
    """
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    # Markup the library built from our own data: no text of the account is in it.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def new_recovery_codes():
    """RECOVERY_CODES fresh codes, lower-case base32 in groups of four ("abcd-efgh-...")."""
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode("ascii").lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
    return codes


def looks_like_app_code(code):
    digits = "".join(str(code).split())
    return len(digits) == TotpDevice.DIGITS and digits.isascii() and digits.isdigit()


# --- What an account has ------------------------------------------------------------------------


def app_of(user):
    """The account's authenticator app, or None."""
    return TotpDevice.objects.filter(user=user).first()


def has_second_factor(user):
    return TotpDevice.objects.filter(user=user).exists()


def recovery_codes_left(user):
    return RecoveryCode.objects.filter(code_set__user=user, used_at__isnull=True).count()


# --- Sessions -----------------------------------------------------------------------------------


def is_verified(session):
    """Whether this session passed the second factor (see the module's docstring)."""
    return bool(session.get(DEVICE_ID_SESSION_KEY))


def is_pending(session):
    return bool(session.get(PENDING))


def mark_verified(request, device):
    """The session passed the second factor with `device`: django-otp's login, under a new
    session key (the session gained a privilege, as at a password login)."""
    otp_login(request, device)
    request.session.pop(PENDING, None)
    request.session.pop(SETUP_SEED, None)
    request.session.cycle_key()


def sign_in_complete(request, user):
    """Both factors (or the password alone, where no code is asked) passed: django-axes' count
    of failures for this name and address starts again, as its reset on success did."""
    axes_reset(ip=client_ip(request), username=user.get_username())


# --- Enrolment ----------------------------------------------------------------------------------


def setup_seed(request):
    """The seed this session is setting up: the one sealed in the session if still fresh,
    else a new one (sealed there). Reloading the page keeps the seed already scanned."""
    context = f"otp-setup:{request.user.pk}"
    sealed = request.session.get(SETUP_SEED)
    if sealed:
        try:
            return crypto.unseal(sealed, context=context, max_age=SETUP_MAX_AGE)
        except (crypto.SealBroken, crypto.SealExpired):
            pass
    seed = new_seed()
    request.session[SETUP_SEED] = crypto.seal(seed, context=context)
    return seed


def enrol(request, seed, code):
    """Confirm the app set up with `seed` by its first `code`.

    Returns the recovery codes (to show once) when the code is right, None otherwise. The app
    and the codes are stored, the session is verified and the enrolment is an account event.
    """
    user = request.user
    device = TotpDevice(user=user, name=APP_DEVICE_NAME, key=seed)
    if not looks_like_app_code(code):
        return None
    # Checked before the app is stored: an unconfirmed seed is never in the database.
    totp = device.totp()
    if not totp.verify(int("".join(code.split())), tolerance=TotpDevice.TOLERANCE):
        return None
    with transaction.atomic():
        device.last_t = totp.t()  # the step of the code just typed: it cannot sign in again
        device.last_used_at = timezone.now()
        device.save()
        codes = _store_recovery_codes(user)
        record_event(AccountEventKind.SECOND_FACTOR_ENROLLED, request)
    mark_verified(request, device)
    sign_in_complete(request, user)
    return codes


def _store_recovery_codes(user):
    """New recovery codes for `user` (replacing any): returns them in clear, once."""
    RecoveryCodeSet.objects.filter(user=user).delete()
    code_set = RecoveryCodeSet.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
    codes = new_recovery_codes()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(code_set=code_set, digest=RecoveryCodeSet.digest(code)) for code in codes
    )
    return codes


def renew_recovery_codes(request):
    """New recovery codes for the signed-in account; the old ones stop working."""
    with transaction.atomic():
        codes = _store_recovery_codes(request.user)
        record_event(AccountEventKind.RECOVERY_CODES_RENEWED, request)
    return codes


# --- Signing in ---------------------------------------------------------------------------------


def _credentials(user):
    return {"username": user.get_username()}


def locked_out(request, user):
    """Whether django-axes holds this account's name locked from this address."""
    return AxesProxyHandler.is_locked(request, _credentials(user))


def check_code(request, code):
    """Verify `code` for the signed-in account: a code of its app (6 digits) or one of its
    recovery codes. Returns the device that accepted it, or None.

    A right code verifies the session and completes the sign-in; a recovery code is used up
    and is an account event. A wrong one counts for django-axes like a wrong password and is
    an account event (`count_wrong_code`): the caller then looks at `request.axes_locked_out`.
    """
    user = request.user
    if looks_like_app_code(code):
        devices = TotpDevice.objects.filter(user=user)
    else:
        devices = RecoveryCodeSet.objects.filter(user=user)
    device = next((d for d in devices if d.verify_token(code)), None)
    if device is None:
        count_wrong_code(request, user)
        return None
    if isinstance(device, RecoveryCodeSet):
        record_event(
            AccountEventKind.RECOVERY_CODE_USED, request, detail={"codes_left": device.codes_left()}
        )
    mark_verified(request, device)
    sign_in_complete(request, user)
    return device


def count_wrong_code(request, user):
    """A wrong code is a failed login: django-axes counts it (and locks the name out from
    this address at the limit, with its lock-out event); the audit records a wrong code."""
    user_login_failed.send(
        sender=__name__,
        credentials={**_credentials(user), WRONG_CODE_MARK: True},
        request=request,
    )


# --- Reset by a national administrator ----------------------------------------------------------


def reset(user, request=None, *, actor=None):
    """Remove the account's app and recovery codes and end its sessions; an account event.

    The account sets up a new app at its next sign-in (if it must have one). Its sessions end
    because a verified session is not checked against its device on each page (see above).
    Returns the number of sessions ended.
    """
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCodeSet.objects.filter(user=user).delete()
        ended = end_sessions(user)
        record_event(
            AccountEventKind.SECOND_FACTOR_RESET,
            request,
            actor=actor,
            target=user,
            detail={"sessions_ended": ended},
        )
    return ended


def end_sessions(user):
    """Delete the stored sessions of `user` (database sessions, the portal's engine).

    Sessions do not index their account: each live one is decoded. A reset is rare, and a
    national registry has a few thousand sessions at most.
    """
    account = str(user.pk)
    ended = []
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get(SESSION_KEY)) == account:
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)
