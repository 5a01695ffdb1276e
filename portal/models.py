"""The account-event record: who logged in, failed to, exported, viewed or delegated what; and
each account's second factor (authenticator app and recovery codes, portal/twofactor.py).

Changes to the registry are auditlog's LogEntry rows (portal/auditlog_setup.py); account events have
no model instance to diff, so they live here, written only by `portal.account_events.record_event`.
"""

import hashlib
import time

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.oath import TOTP

from portal.fields import EncryptedTextField


class AccountEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGOUT = "logout", _("Logout")
    LOGIN_FAILED = "login_failed", _("Failed login")
    PASSWORD_CHANGED = "password_changed", _("Password change")
    LOCKED_OUT = "locked_out", _("Account locked out")
    GRANT = "grant", _("Access granted")
    REVOKE = "revoke", _("Access revoked")
    EXPORT = "export", _("Export")
    VIEW = "view", _("Sensitive page viewed")
    SECOND_FACTOR_ENROLLED = "otp_enrolled", _("Two-factor sign-in set up")
    SECOND_FACTOR_FAILED = "otp_failed", _("Wrong sign-in code")
    RECOVERY_CODE_USED = "otp_recovery_used", _("Recovery code used")
    RECOVERY_CODES_RENEWED = "otp_codes_renewed", _("New recovery codes")
    SECOND_FACTOR_RESET = "otp_reset", _("Two-factor sign-in reset")
    # A camera's stream address, user name and password shown to an operator engineer
    # (cameras/disclosure.py): one event per camera.
    CONNECTION_DETAILS = "connection_details", _("Connection details disclosed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    # A camera's picture shown to a person (cameras/snapshots.py): one event per look.
    SNAPSHOT_VIEWED = "snapshot_viewed", _("Camera picture viewed")
    # A version of the national guidance acknowledged by its reader (guidance/): one per version.
    ACKNOWLEDGED = "acknowledged", _("Guidance acknowledged")


class ImmutableRecordError(Exception):
    """Raised on any attempt to change a stored audit record."""


class AccountEvent(models.Model):
    """One account action, on record as it happened: never edited, removed only by retention."""

    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    event = models.CharField(_("event"), max_length=20, choices=AccountEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # The account may be deleted one day; the event keeps its user name (below).
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    username = models.CharField(
        _("user name"),
        max_length=150,
        blank=True,
        help_text=_("The actor's user name at the time, or the name typed in a failed login."),
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account concerned"),
        help_text=_("The account the event is about: the one logging in, granted, locked out..."),
    )
    remote_addr = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    province = models.ForeignKey(
        "facilities.Province",
        # No constraint and no cascade: the record outlives anything it mentions.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("object type"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-timestamp", "-pk"]
        get_latest_by = "timestamp"
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        indexes = [models.Index(fields=["event", "timestamp"], name="portal_event_kind_time_idx")]

    def __str__(self):
        who = self.username or (str(self.actor) if self.actor_id else "-")
        return f"{self.get_event_display()} {who}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError("account events are never changed")
        super().save(*args, **kwargs)


# --- Second factor (portal/twofactor.py) ------------------------------------------------------
# django-otp's own TOTP and static-token models keep the seed and the codes in clear: these are
# its abstract Device with the seed encrypted like the camera credentials (EncryptedTextField,
# rotated by `manage.py rotate_credentials_key` with them) and the recovery codes hashed.


class TotpDevice(Device):
    """The authenticator app of an account: a TOTP seed (RFC 6238, 6 digits every 30 s)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_devices",
        verbose_name=_("account"),
    )
    key = EncryptedTextField(
        _("secret key"), help_text=_("The app's seed, hex-encoded; encrypted at rest.")
    )
    # The time step of the last code accepted: a code works once, even within its 30 s.
    last_t = models.BigIntegerField(_("last time step used"), default=-1)
    created_at = models.DateTimeField(_("set up"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                name="%(app_label)s_%(class)s_one_per_account",
                violation_error_message=_("This account already has an authenticator app."),
            ),
        ]

    # RFC 6238 as every authenticator app does it by default. One step of clock difference
    # either way is accepted (a code typed in its last seconds, a phone a little off).
    STEP = 30
    DIGITS = 6
    TOLERANCE = 1

    def totp(self, at=None):
        """django-otp's TOTP of this seed at time `at` (now by default)."""
        totp = TOTP(bytes.fromhex(self.key), step=self.STEP, digits=self.DIGITS)
        totp.time = time.time() if at is None else at
        return totp

    def verify_token(self, token):
        """django-otp's Device API: whether `token` is this app's code now (one step either
        way), never accepting a time step at or before the last one used: a code works once.

        The step is taken with a conditional UPDATE, so two requests sending the same code at
        once cannot both succeed.
        """
        token = "".join(str(token).split())
        if len(token) != self.DIGITS or not token.isascii() or not token.isdigit():
            return False
        totp = self.totp()
        if not totp.verify(int(token), tolerance=self.TOLERANCE, min_t=self.last_t + 1):
            return False
        step, now = totp.t(), timezone.now()
        taken = type(self).objects.filter(pk=self.pk, last_t__lt=step).update(
            last_t=step, last_used_at=now
        )
        if taken:
            self.last_t, self.last_used_at = step, now
        return bool(taken)


class RecoveryCodeSet(Device):
    """The recovery codes of an account: each signs in once instead of a code from the app."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_code_sets",
        verbose_name=_("account"),
    )
    created_at = models.DateTimeField(_("made"), default=timezone.now)

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                name="%(app_label)s_%(class)s_one_per_account",
                violation_error_message=_("This account already has recovery codes."),
            ),
        ]

    @staticmethod
    def normalise(code):
        """A code as typed (any case, spaces and dashes) to the form that is hashed."""
        return "".join(ch for ch in str(code).lower() if ch.isalnum())

    @classmethod
    def digest(cls, code):
        return hashlib.sha256(cls.normalise(code).encode("utf-8")).hexdigest()

    def verify_token(self, token):
        """django-otp's Device API: whether `token` is one of these codes not used yet; it is
        then used up (a conditional UPDATE: two requests with one code cannot both pass)."""
        if not self.normalise(token):
            return False
        used = self.codes.filter(digest=self.digest(token), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return bool(used)

    def codes_left(self):
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    """One recovery code, stored as the SHA-256 of the code (80 random bits: nothing to guess
    back from the digest)."""

    code_set = models.ForeignKey(
        RecoveryCodeSet,
        on_delete=models.CASCADE,
        related_name="codes",
        verbose_name=_("recovery codes"),
    )
    digest = models.CharField(_("digest"), max_length=64)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(
                fields=["code_set", "digest"],
                name="%(app_label)s_%(class)s_set_digest",
                violation_error_message=_("This recovery code is already in the set."),
            ),
        ]

    def __str__(self):
        return f"{self.code_set_id}:{self.pk}"
