"""The form of the token page (api/pages.py)."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from api import tokens
from api.choices import TokenAccess
from portal.text import CleanTextMixin

DEFAULT_DAYS = 90


class TokenForm(CleanTextMixin, forms.Form):
    """A new token: for oneself, or (national administrators) for a service account."""

    required_css_class = "required"
    error_css_class = "error"

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Viettel central system”."),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=TokenAccess.choices,
        initial=TokenAccess.READ_ONLY,
        widget=forms.RadioSelect,
        help_text=_("Read and write is needed to report connection results."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        initial=DEFAULT_DAYS,
    )
    allowed_networks = forms.CharField(
        label=_("Allowed networks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Optional: the addresses the token works from, e.g. 203.0.113.0/24, one per line "
            "or separated by commas. Empty: any address."
        ),
    )
    owner = forms.ModelChoiceField(
        label=_("For the account"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Myself"),
        help_text=_("A service account: an account without a password, used by a program."),
    )

    def __init__(self, *args, may_choose_owner=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].validators.append(MaxValueValidator(tokens.max_days()))
        self.fields["days"].widget.attrs["max"] = tokens.max_days()
        self.fields["days"].help_text = _("At most %(days)d days.") % {"days": tokens.max_days()}
        if may_choose_owner:
            self.fields["owner"].queryset = (
                get_user_model()
                .objects.filter(
                    is_active=True,
                    is_superuser=False,
                    password__startswith=UNUSABLE_PASSWORD_PREFIX,
                )
                .order_by("username")
            )
        else:
            del self.fields["owner"]

    def clean_allowed_networks(self):
        return tokens.parse_networks(self.cleaned_data.get("allowed_networks", ""))
