"""API tokens: the keys programs (an operator's central system) call the API with.

Ours rather than DRF's authtoken, which stores each key in clear (whoever reads the table or a
backup holds every key) and knows no expiry, access level or network: here the key is shown once
when created and only its SHA-256 digest is stored (api/tokens.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.choices import TokenAccess


class ApiTokenQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """Tokens `user` may see and revoke: its own; every token for a national administrator
        (who creates those of the service accounts)."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(owner=user)

    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A key a program uses to call the API as one account, within that account's scope.

    It never exceeds its owner: the API restricts every answer to what the owner may see and
    do. A read-only token cannot write; allowed networks, when given, are the only client
    addresses it works from. Never audited by auditlog (its last use is machine noise): its
    creation and revocation are account events.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # A token is its account's: it goes with the account (the events stay, with the name).
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("account"),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Viettel central system”."),
    )
    # The key's first characters, kept to tell keys apart in lists and logs ("cpt_Ab12Cd34").
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    # SHA-256 of the whole key, in hexadecimal: what a request's key is looked up by.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    access = models.CharField(
        _("access"),
        max_length=10,
        choices=TokenAccess.choices,
        default=TokenAccess.READ_ONLY,
    )
    allowed_networks = models.JSONField(
        _("allowed networks"),
        default=list,
        blank=True,
        help_text=_(
            "Client addresses the token works from (CIDR, e.g. 203.0.113.0/24); empty: any."
        ),
    )
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    last_used_from = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="%(app_label)s_%(class)s_expires_after_creation",
                violation_error_message=_("A token must expire after it is created."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def read_only(self):
        return self.access == TokenAccess.READ_ONLY

    def expired(self, now=None):
        return self.expires_at <= (now or timezone.now())

    @property
    def revoked(self):
        return self.revoked_at is not None
