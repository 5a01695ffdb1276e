"""Forms for cameras: write-only credentials bound to their address, and status changes through
the connection lifecycle (cameras/lifecycle.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cameras import lifecycle, targets
from cameras.choices import ConnectionStatus
from cameras.models import Camera
from cameras.validators import authority
from portal.text import CleanTextModelForm

CREDENTIAL_FIELDS = ("username", "password")


class CameraForm(CleanTextModelForm):
    """Camera form whose credentials are never rendered back and are kept when left empty.

    Kept only while the address stays on the same scheme, host and port: a new one needs the
    credentials typed again (an empty field then means "none").

    `lifecycle_roles` and `lifecycle_actor` are set by the admin for the person editing
    (CameraAdmin.get_form); a status change is checked against the lifecycle table with them.
    """

    lifecycle_roles = frozenset()
    lifecycle_actor = None

    username = forms.CharField(
        label=_("user name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the current user name."),
    )
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )
    clear_password = forms.BooleanField(
        label=_("Remove the stored user name and password"),
        required=False,
    )

    class Meta:
        model = Camera
        fields = [
            "facility",
            "name",
            "zone",
            "vendor",
            "model",
            "stream_url",
            "username",
            "password",
            "check_enabled",
            "connection_status",
            "status_reason",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = None
        self.status_change = None
        # Stored credentials left behind because the address moved (the admin says so).
        self.dropped_credentials = False
        self._source_status = self.instance.connection_status
        # Credentials never travel back to the browser, not even the user name.
        self.initial["username"] = ""
        stored = self.instance.pk and (self.instance.username or self.instance.password)
        if "username" in self.fields and self.instance.pk:
            note = _("A user name is stored.") if self.instance.username else _("None stored.")
            self.fields["username"].help_text = f"{note} {self.fields['username'].help_text}"
        if "stream_url" in self.fields and stored:
            self.fields["stream_url"].help_text = _(
                "%(help)s A user name and password are stored for this address: changing its "
                "scheme, host or port removes them, unless you enter new ones in the same save."
            ) % {"help": self.fields["stream_url"].help_text}
        if "status_reason" in self.fields:
            self.fields["status_reason"].help_text = _(
                "Required when suspending or decommissioning; shown to the province and the "
                "operator."
            )

    # --- Credentials --------------------------------------------------------------------------

    def address_moved(self):
        """Whether the submitted address is on another scheme, host or port than the stored one."""
        if not self.instance.pk or "stream_url" not in self.cleaned_data:
            return False
        return authority(self.cleaned_data["stream_url"]) != authority(self.instance.stream_url)

    def _credential(self, name):
        typed = self.cleaned_data.get(name, "")
        if name == "username":
            typed = typed.strip()
        if typed or not self.instance.pk or self.address_moved():
            # With a moved address an empty field means "none": the stored value belongs to
            # the old host.
            if not typed and getattr(self.instance, name):
                self.dropped_credentials = True
            return typed
        return getattr(self.instance, name)

    def clean_username(self):
        return self._credential("username")

    def clean_password(self):
        return self._credential("password")

    def clean_stream_url(self):
        url = self.cleaned_data.get("stream_url", "")
        # A name is resolved once, when the address is entered or changed (short timeout); what
        # it resolves to is checked again on every probe (cameras/targets.py).
        if "stream_url" in self.changed_data:
            refusal = targets.check_on_save(url)
            if refusal is not None:
                raise forms.ValidationError(refusal.message(), code="stream_url_target")
        return url

    # --- Status -------------------------------------------------------------------------------

    def _config_changing(self):
        return any(name in self.changed_data for name in ("stream_url", *CREDENTIAL_FIELDS)) and (
            self.cleaned_data.get("stream_url") != self.instance.stream_url
            or any(self.data.get(self.add_prefix(name)) for name in CREDENTIAL_FIELDS)
            or self.cleaned_data.get("clear_password")
        )

    def _clean_status(self, cleaned):
        if "connection_status" not in self.fields:
            return
        target = cleaned.get("connection_status")
        reason = (cleaned.get("status_reason") or "").strip()
        source = self._source_status
        if not self.instance.pk:
            if target and target != ConnectionStatus.REGISTERED:
                self.add_error(
                    "connection_status",
                    _("A new camera starts as “Registered”; its first check decides the rest."),
                )
            return
        if target and target != source:
            try:
                self.transition = lifecycle.check(
                    self.instance,
                    target,
                    self.lifecycle_roles,
                    reason=reason,
                    config_changing=self._config_changing(),
                )
            except lifecycle.Refused as refused:
                field = refused.field if refused.field in self.fields else "connection_status"
                self.add_error(field, refused.message)
        elif "status_reason" in self.changed_data and reason != self.instance.status_reason:
            if source not in (ConnectionStatus.SUSPENDED, ConnectionStatus.DECOMMISSIONED):
                self.add_error(
                    "status_reason",
                    _(
                        "Only the reason of a suspended or decommissioned camera is typed by a "
                        "person; the checks write the others."
                    ),
                )
            elif not reason:
                self.add_error("status_reason", _("The reason cannot be empty."))
            elif not lifecycle.may_edit_reason(source, self.lifecycle_roles):
                self.add_error(
                    "status_reason",
                    _("Only who may suspend or decommission this camera may change its reason."),
                )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_password") and self.data.get(self.add_prefix("password")):
            self.add_error(
                "clear_password",
                _("Either enter a new password or remove the stored one, not both."),
            )
        elif cleaned.get("clear_password"):
            cleaned["password"] = ""
            cleaned["username"] = ""
        self._clean_status(cleaned)
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if self.transition is not None and not self.errors:
            # construct_instance copied the new status onto the instance; the lifecycle moves
            # it from where it was, recording who, when and why, and clearing stale reasons.
            self.instance.connection_status = self._source_status
            self.status_change = lifecycle.apply(
                self.instance,
                self.transition,
                by=self.lifecycle_actor,
                reason=self.cleaned_data.get("status_reason", ""),
            )
