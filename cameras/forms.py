"""Forms for cameras: write-only credentials bound to their address, and status changes through
the connection lifecycle (cameras/lifecycle.py)."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cameras import lifecycle, targets
from cameras.choices import ConnectionStatus
from cameras.models import Camera
from cameras.validators import authority
from portal import crypto
from portal.text import CleanTextModelForm

CREDENTIAL_FIELDS = ("username", "password")

# How long a password typed into a form that failed elsewhere is kept for the next save.
PASSWORD_KEPT_MINUTES = 15

# The rules the form applies to a password (portal/text.py), told before the first save.
PASSWORD_RULES = _(
    "The camera's own password, not your portal password. It is kept exactly as typed: accents, "
    "spaces and symbols count. Invisible characters (controls, text-direction marks) are "
    "refused. It is stored encrypted and never shown again."
)


class CameraForm(CleanTextModelForm):
    """Camera form whose credentials are never rendered back and are kept when left empty.

    Kept only while the address stays on the same scheme, host and port: a new one needs the
    credentials typed again (an empty field then means "none").

    `lifecycle_roles` and `lifecycle_actor` are set by the admin for the person editing
    (CameraAdmin.get_form); a status change is checked against the lifecycle table with them.

    A password typed into a form that fails validation elsewhere is not lost, and not sent back
    in clear: the redisplayed form carries it sealed (portal/crypto.py `seal`: encrypted, bound
    to `password_owner_id`, the account the admin sets, and to this camera, valid
    PASSWORD_KEPT_MINUTES) in the hidden `password_token`; the next save with an empty password
    field uses it. Without an owner (a form built outside the admin) nothing is carried.
    """

    lifecycle_roles = frozenset()
    lifecycle_actor = None
    password_owner_id = None

    username = forms.CharField(
        label=capfirst(_("user name")),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label=capfirst(_("password")),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_RULES,
    )
    password_token = forms.CharField(
        label=_("Password kept from the previous attempt"),
        required=False,
        widget=forms.HiddenInput,
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
        # A password typed before and carried sealed (see the class), once read.
        self.carried_password = ""
        # Credentials never travel back to the browser, not even the user name.
        self.initial["username"] = ""
        stored = self.instance.pk and (self.instance.username or self.instance.password)
        if "username" in self.fields and self.instance.pk:
            # "Leave empty to keep" only where something is kept.
            if self.instance.username:
                stored_note = _("A user name is stored.")
                keep = _("Leave empty to keep the current user name.")
                self.fields["username"].help_text = f"{stored_note} {keep}"
            else:
                self.fields["username"].help_text = _("None stored.")
        if "password" in self.fields and self.instance.pk:
            if self.instance.password:
                stored_note = _("A password is stored.")
                keep = _("Leave empty to keep the current password.")
                note = f"{stored_note} {keep}"
            else:
                note = _("None stored.")
            self.fields["password"].help_text = f"{note} {PASSWORD_RULES}"
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
        if not self.cleaned_data.get("password"):
            self.carried_password = self._carried_password()
            if self.carried_password:
                self.cleaned_data["password"] = self.carried_password
        return self._credential("password")

    # --- A password carried over a failed save ------------------------------------------------

    def _seal_context(self):
        if self.password_owner_id is None:
            return None
        return f"camera-password:user={self.password_owner_id}:camera={self.instance.pk or 'new'}"

    def _carried_password(self):
        token = self.data.get(self.add_prefix("password_token"), "")
        if not token:
            return ""
        context = self._seal_context()
        try:
            if context is None:
                raise crypto.SealBroken("no account to bind the password to")
            return crypto.unseal(token, context=context, max_age=PASSWORD_KEPT_MINUTES * 60)
        except crypto.SealExpired:
            raise forms.ValidationError(
                _(
                    "The password entered earlier is kept for %(minutes)d minutes only, and "
                    "that time has passed: enter the password again."
                ),
                code="password_token_expired",
                params={"minutes": PASSWORD_KEPT_MINUTES},
            ) from None
        except crypto.SealBroken:
            raise forms.ValidationError(
                _(
                    "The password entered earlier cannot be used here: it was entered by "
                    "another account or for another camera. Enter the password again."
                ),
                code="password_token_invalid",
            ) from None

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors and "password_token" in self.fields:
            self._carry_password()

    def _carry_password(self):
        """On a form redisplayed with errors: the password typed (or carried) so far, sealed
        into the hidden field, and a note under the password field; else the field emptied."""
        context = self._seal_context()
        password = ""
        if context is not None and "password" not in self._errors:
            typed = self.data.get(self.add_prefix("password"), "")
            password = typed or self.carried_password
        data = self.data.copy()
        key = self.add_prefix("password_token")
        data[key] = crypto.seal(password, context=context) if password else ""
        self.data = data
        if password:
            note = _(
                "The password you entered is kept, encrypted, for %(minutes)d minutes: leave "
                "the field empty to use it, or type another."
            ) % {"minutes": PASSWORD_KEPT_MINUTES}
            field = self.fields["password"]
            field.help_text = f"{note} {field.help_text}"
            # The bound field copied the help text when validation first read it.
            self["password"].help_text = field.help_text

    def _password_entered(self):
        """Whether a new password came with this submission, typed or carried."""
        return bool(self.data.get(self.add_prefix("password")) or self.carried_password)

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
        changed = self.carried_password or any(
            name in self.changed_data for name in ("stream_url", *CREDENTIAL_FIELDS)
        )
        return changed and (
            self.cleaned_data.get("stream_url") != self.instance.stream_url
            or self.data.get(self.add_prefix("username"))
            or self._password_entered()
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
        if cleaned.get("clear_password") and self._password_entered():
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
