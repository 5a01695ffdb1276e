"""Forms for cameras: the password is write-only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cameras import targets
from cameras.models import Camera
from portal.text import CleanTextModelForm


class CameraForm(CleanTextModelForm):
    """Camera form whose credentials are never rendered back and are kept when left empty."""

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
        # Credentials never travel back to the browser, not even the user name.
        self.initial["username"] = ""
        if "username" in self.fields and self.instance.pk:
            stored = _("A user name is stored.") if self.instance.username else _("None stored.")
            self.fields["username"].help_text = f"{stored} {self.fields['username'].help_text}"

    def clean_username(self):
        username = self.cleaned_data.get("username", "").strip()
        if username:
            return username
        return self.instance.username if self.instance.pk else ""

    def clean_stream_url(self):
        url = self.cleaned_data.get("stream_url", "")
        # A name is resolved once, when the address is entered or changed (short timeout); what
        # it resolves to is checked again on every probe (cameras/targets.py).
        if "stream_url" in self.changed_data:
            refusal = targets.check_on_save(url)
            if refusal is not None:
                raise forms.ValidationError(refusal.message(), code="stream_url_target")
        return url

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        if password:
            return password
        # Empty means "unchanged": the instance still holds the stored value at this point.
        return self.instance.password if self.instance.pk else ""

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
        return cleaned
