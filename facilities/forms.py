"""Forms of the delegation page. The rules they show errors for live in facilities/roles.py,
which applies them again on every write."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db.models import BLANK_CHOICE_DASH
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities import roles
from portal.text import CleanTextMixin


class PortalForm(CleanTextMixin, forms.Form):
    """The text rule of portal/text.py, and the classes the portal's form style reads
    (static/portal/pages.css: a star after required labels, a red border on a field in error)."""

    required_css_class = "required"
    error_css_class = "error"


class ExpiryMixin(forms.Form):
    expires_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        # A date input takes and shows ISO dates whatever the language's format.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional: the access stops working after this day."),
    )

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The end date cannot be in the past."))
        return value


class NewAccountMixin(forms.Form):
    """The fields of a new account, names in Vietnamese order: Họ (family name), then Tên (the
    given name with the middle name). The rules are those of facilities/roles.py."""

    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    first_name = forms.CharField(
        label=_("Given name"),
        max_length=150,
        required=False,
        help_text=_("With the middle name, e.g. “Thị Lan”."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    ACCOUNT_FIELDS = ["username", "last_name", "first_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules before the first try, not only after a refusal (in the page's language).
        rules = password_validation.password_validators_help_text_html()
        self.fields["password1"].help_text = rules

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        roles.check_new_username(username)
        return username

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                roles.check_new_password(
                    p1,
                    username=cleaned.get("username", ""),
                    first_name=cleaned.get("first_name", ""),
                    last_name=cleaned.get("last_name", ""),
                    email=cleaned.get("email", ""),
                )
            except forms.ValidationError as err:
                self.add_error("password1", err)
        return cleaned

    def account_data(self):
        """The new account's fields, as roles.create_account takes them."""
        data = self.cleaned_data
        return {
            "username": data["username"],
            "password": data["password1"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
        }


class FacilityChoiceField(forms.ModelChoiceField):
    """Facilities with their province: two provinces may each have a "Khu cách ly số 1"."""

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.province.name})"


class FacilityGrantForm(ExpiryMixin, PortalForm):
    """Give an existing ordinary account read access to one facility of the granter's province."""

    username = forms.CharField(label=_("User name"), max_length=150)
    facility = FacilityChoiceField(
        label=_("Facility"),
        queryset=None,
        error_messages={"invalid_choice": _("Choose a facility of your province.")},
    )

    field_order = ["username", "facility", "expires_on"]

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


class FacilityManagerAccountForm(NewAccountMixin, FacilityGrantForm):
    """Create a facility-manager account and give it access to one facility at once."""

    field_order = [*NewAccountMixin.ACCOUNT_FIELDS, "facility", "expires_on"]


class RoleForm(ExpiryMixin, PortalForm):
    """National administrators: give an existing account a province role, or make it a national
    official (no province, no end date: the role is membership of the officials' group)."""

    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"))
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=None,
        required=False,
        help_text=_("For the province roles; a national official reads every province."),
    )

    field_order = ["username", "role", "province", "expires_on"]

    def __init__(self, *args, granter, **kwargs):
        super().__init__(*args, **kwargs)
        self.granter = granter
        # No role chosen in advance: an official's account made by a slip reads everything.
        self.fields["role"].choices = BLANK_CHOICE_DASH + [
            (spec.codename, spec.label)
            for spec in roles.grantable_roles(granter)
            if spec.granted_on != roles.FACILITY
        ]
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

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role is None:
            return cleaned
        if roles.ROLES[role].granted_on == roles.PROVINCE:
            if cleaned.get("province") is None and "province" not in self.errors:
                self.add_error("province", _("Choose the province this role is for."))
        else:
            if cleaned.get("province") is not None:
                self.add_error(
                    "province",
                    _("A national official reads every province: leave the province empty."),
                )
            if cleaned.get("expires_on") is not None:
                self.add_error(
                    "expires_on",
                    _(
                        "A national official's access has no end date: leave it empty and "
                        "revoke the access on this page when it ends."
                    ),
                )
        return cleaned

    def place(self):
        """Where the role is granted: the province, or None for a national official."""
        return self.cleaned_data.get("province")


class RoleAccountForm(NewAccountMixin, RoleForm):
    """National administrators: create an account for a province role or a national official."""

    field_order = [*NewAccountMixin.ACCOUNT_FIELDS, "role", "province", "expires_on"]
