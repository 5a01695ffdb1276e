"""Forms of the problem pages: a new report, a reply, and the Department's handling."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cameras.models import Camera
from facilities import access
from facilities.models import Facility, Province
from portal.text import CleanTextMixin, CleanTextModelForm
from problems import attachments
from problems.models import ANSWER_PROBLEMS, ProblemReply, ProblemReport

PASSWORD_WARNING = _(
    "Never write a password, a stream address with its password or any other credential in a "
    "report, a reply or an attachment: everyone who can see the report can read it."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files, each checked by its content signature and size (problems/attachments.py);
    cleans to [(upload, kind)]."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("PDF, JPEG, PNG, Word (DOCX) or Excel (XLSX), at most %(count)d files.")
            % {"count": settings.PROBLEM_ATTACHMENTS_PER_MESSAGE},
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(uploads) > settings.PROBLEM_ATTACHMENTS_PER_MESSAGE:
            raise forms.ValidationError(
                _("Attach at most %(count)d files to one message.")
                % {"count": settings.PROBLEM_ATTACHMENTS_PER_MESSAGE}
            )
        errors, checked = [], []
        for upload in uploads:
            try:
                checked.append((upload, attachments.check(upload)))
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return checked


class ReportForm(CleanTextModelForm):
    """A new report about something the author can see: a province it holds a role in, or a
    facility (and one of its cameras) it can read. A facility manager names the facility; its
    province follows."""

    files = AttachmentsField(label=_("Attachments"))

    class Meta:
        model = ProblemReport
        fields = ["province", "facility", "camera", "category", "title", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        provinces = Province.objects.restrict(user, access.VIEW).order_by("code")
        facilities = (
            Facility.objects.restrict(user, access.VIEW)
            .select_related("province")
            .order_by("province__code", "name")
        )
        self.fields["province"].queryset = provinces
        self.fields["province"].required = False
        if not access.has_any_scope(user, access.VIEW):
            # A facility manager names its facility; the province follows (no empty menu).
            self.fields["province"].widget = forms.HiddenInput()
        self.fields["facility"].queryset = facilities
        # Cameras only of the facility chosen (a national list of cameras is no menu).
        facility_id = self.data.get("facility") or self.initial.get("facility")
        cameras = Camera.objects.none()
        if facility_id and str(facility_id).isdigit():
            cameras = (
                Camera.objects.restrict(user, access.VIEW)
                .filter(facility_id=int(facility_id))
                .order_by("name")
            )
        self.fields["camera"].queryset = cameras
        self.fields["description"].help_text = PASSWORD_WARNING

    def clean(self):
        cleaned = super().clean()
        province, facility, camera = (
            cleaned.get("province"),
            cleaned.get("facility"),
            cleaned.get("camera"),
        )
        if facility is not None:
            if province is not None and province.pk != facility.province_id:
                self.add_error("facility", _("Choose a facility of the report's province."))
            cleaned["province"] = facility.province
            self.instance.province = facility.province
        elif province is None and not self.has_error("province"):
            self.add_error(
                "province", _("Choose the province or the facility the report is about.")
            )
        if camera is not None and (facility is None or camera.facility_id != facility.pk):
            self.add_error("camera", _("Choose a camera of the report's facility."))
        return cleaned


class ReplyForm(CleanTextMixin, forms.ModelForm):
    files = AttachmentsField(label=_("Attachments"))

    class Meta:
        model = ProblemReply
        fields = ["body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = PASSWORD_WARNING


def answerers():
    """Accounts a report may be assigned to: the Department's officials, national admins."""
    holds = (
        Q(user_permissions__codename=ANSWER_PROBLEMS)
        | Q(groups__permissions__codename=ANSWER_PROBLEMS)
        | Q(is_superuser=True)
    )
    ids = get_user_model().objects.filter(holds, is_active=True).values("pk")
    return get_user_model().objects.filter(pk__in=ids).order_by("username")


class HandlingForm(forms.ModelForm):
    """The Department's handling of a report: status, assignee, due date."""

    class Meta:
        model = ProblemReport
        fields = ["status", "assignee", "due_date"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = answerers()
        self.fields["assignee"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )


class FilterForm(forms.Form):
    status = forms.ChoiceField(required=False, label=_("Status"))
    category = forms.ChoiceField(required=False, label=_("Category"))
    province = forms.ModelChoiceField(
        queryset=Province.objects.none(), required=False, label=_("Province")
    )
    mine = forms.BooleanField(required=False, label=_("Assigned to me"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from problems.choices import ProblemCategory, ProblemStatus

        self.fields["status"].choices = [("", _("All"))] + ProblemStatus.choices
        self.fields["category"].choices = [("", _("All"))] + ProblemCategory.choices
        self.fields["province"].queryset = Province.objects.restrict(user, access.VIEW).order_by(
            "code"
        )

    def apply(self, queryset, user):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["category"]:
            queryset = queryset.filter(category=data["category"])
        if data["province"]:
            queryset = queryset.filter(province=data["province"])
        if data["mine"]:
            queryset = queryset.filter(assignee=user)
        return queryset
