"""Forms of the delegation page, and the rule for new account names (used by the user admin)."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities import roles
from portal.text import CleanTextMixin, username_problem


def check_new_username(username, instance=None):
    """ValidationError unless `username` may name a new (or renamed) account.

    The safe character set of portal/text.py, and unique regardless of case: "Admin" is refused
    when "admin" exists, since the two read as one name in the audit log. `instance` is the
    account being renamed, which does not collide with itself.
    """
    problem = username_problem(username)
    if problem:
        raise forms.ValidationError(problem, code="username_characters")
    others = get_user_model()._default_manager.filter(username__iexact=username)
    if instance is not None and instance.pk is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise forms.ValidationError(
            _("An account with this user name already exists."), code="username_taken"
        )


class ExpiryMixin:
    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The end date cannot be in the past."))
        return value


class FacilityGrantForm(CleanTextMixin, ExpiryMixin, forms.Form):
    """Give an existing ordinary account read access to one facility of the granter's province."""

    username = forms.CharField(label=_("User name"), max_length=150)
    facility = forms.ModelChoiceField(
        label=_("Facility"),
        queryset=None,
        error_messages={"invalid_choice": _("Choose a facility of your province.")},
    )
    expires_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        # A date input takes and shows ISO dates whatever the language's format.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional: the access stops working after this day."),
    )

    def __init__(self, *args, granter, **kwargs):
        super().__init__(*args, **kwargs)
        self.granter = granter
        self.fields["facility"].queryset = roles.grantable_facilities(granter).select_related(
            "province"
        )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not roles.may_receive_facility_grant(self.granter, user):
            # One answer for "no such account" and "not an ordinary account", so the form
            # does not tell a province admin which staff accounts exist.
            raise forms.ValidationError(
                _(
                    "No ordinary (non-staff) account other than yours has this user name; "
                    "facility access goes only to such accounts."
                )
            )
        self.cleaned_data["user"] = user
        return username


class FacilityManagerAccountForm(FacilityGrantForm):
    """Create a facility-manager account and give it access to one facility at once."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password2 = forms.CharField(
        label=_("Password (again)"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    field_order = ["username", "first_name", "last_name", "email", "password1", "password2",
                   "facility", "expires_on"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        check_new_username(username)
        return username

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            candidate = get_user_model()(
                username=cleaned.get("username", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as err:
                self.add_error("password1", err)
        return cleaned


class ProvinceRoleForm(CleanTextMixin, ExpiryMixin, forms.Form):
    """National administrators: give an account a role on a province."""

    username = forms.CharField(label=_("User name"), max_length=150)
    province = forms.ModelChoiceField(label=_("Province"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=roles.PROVINCE_ROLES)
    expires_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, granter, **kwargs):
        super().__init__(*args, **kwargs)
        self.granter = granter
        self.fields["province"].queryset = roles.provinces_for_grants(granter)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("No account has this user name."))
        if user.is_superuser:
            raise forms.ValidationError(_("National administrators already see everything."))
        self.cleaned_data["user"] = user
        return username
