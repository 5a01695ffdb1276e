"""The account-event record: who logged in, failed to, exported, viewed or delegated what.

Changes to the registry are auditlog's LogEntry rows (portal/auditlog_setup.py); account events have
no model instance to diff, so they live here, written only by `portal.account_events.record_event`.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    # A camera's stream address, user name and password shown to an operator engineer
    # (cameras/disclosure.py): one event per camera.
    CONNECTION_DETAILS = "connection_details", _("Connection details disclosed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")


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
