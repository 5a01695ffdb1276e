"""Admin of the connection standard: national administrators edit it, every edit is a new version.

Registered by cameras/admin.py. Saving the active version with changed rules does not overwrite it:
it saves the rules as the next version and activates that one, so the verdicts already given keep
pointing at the rules they applied. An older version can be made active again with an action.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from cameras.choices import Codec
from cameras.models import ConnectionStandard
from facilities import access
from portal.text import CleanTextModelForm


class ConnectionStandardForm(CleanTextModelForm):
    codecs = forms.MultipleChoiceField(
        label=_("accepted video codecs"),
        choices=Codec.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    schemes = forms.MultipleChoiceField(
        label=_("accepted address schemes"),
        choices=[("rtsp", "rtsp://"), ("rtsps", "rtsps://")],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ConnectionStandard
        fields = ["min_width", "min_height", "min_fps", "max_first_frame_s", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codecs"].initial = self.instance.codecs
        self.fields["schemes"].initial = self.instance.schemes

    def clean(self):
        cleaned = super().clean()
        # Invalid choices are the fields' own errors; the instance keeps its values meanwhile.
        if cleaned.get("codecs"):
            self.instance.allowed_codecs = ",".join(cleaned["codecs"])
        if cleaned.get("schemes"):
            self.instance.allowed_schemes = ",".join(cleaned["schemes"])
        return cleaned


class ConnectionStandardAdmin(admin.ModelAdmin):
    form = ConnectionStandardForm
    list_display = [
        "version",
        "is_active",
        "allowed_codecs",
        "resolution",
        "min_fps",
        "max_first_frame_s",
        "activated_at",
        "created_by",
    ]
    readonly_fields = ["version", "is_active", "activated_at", "created_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["version", "is_active", "activated_at", "created_by", "created_at"]}),
        (
            _("Rules"),
            {
                "fields": [
                    "schemes",
                    "codecs",
                    "min_width",
                    "min_height",
                    "min_fps",
                    "max_first_frame_s",
                    "note",
                ]
            },
        ),
    ]
    actions = ["activate_selected"]

    # Everyone may read the rules on the public page; here only national administrators work.
    def has_module_permission(self, request):
        return access.is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def has_add_permission(self, request):
        return access.is_national_admin(request.user)

    def has_change_permission(self, request, obj=None):
        # Only the active version is edited (into a new version); older ones are history.
        return access.is_national_admin(request.user) and (obj is None or obj.is_active)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_activate_permission(self, request):
        return access.is_national_admin(request.user)

    def get_changeform_initial_data(self, request):
        # A new version starts from the rules in force.
        current = ConnectionStandard.current()
        initial = {name: getattr(current, name) for name in ConnectionStandard.RULE_FIELDS}
        initial["codecs"] = current.codecs
        initial["schemes"] = current.schemes
        return initial

    @admin.display(description=_("minimum resolution"))
    def resolution(self, obj):
        return f"{obj.min_width}x{obj.min_height}"

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if change:
                old = ConnectionStandard.objects.get(pk=obj.pk)
                rules_changed = any(
                    getattr(old, name) != getattr(obj, name)
                    for name in ConnectionStandard.RULE_FIELDS
                )
                if not rules_changed:
                    # A note alone is an edit of this version, not a new one.
                    obj.save(update_fields=["note"])
                    return
                obj.pk = None
                obj._state.adding = True
            obj.version = (ConnectionStandard.objects.aggregate(v=Max("version"))["v"] or 0) + 1
            obj.is_active = False
            obj.created_by = request.user
            obj.save()
            obj.activate()
        self.message_user(
            request,
            _("Version %(version)s of the connection standard is now in force; cameras will be "
              "judged by it at their next check.") % {"version": obj.version},
            messages.SUCCESS,
        )

    @admin.action(description=_("Put the selected version in force"), permissions=["activate"])
    def activate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.WARNING)
            return
        standard = queryset.get()
        standard.activate()
        self.message_user(
            request,
            _("Version %(version)s of the connection standard is now in force.")
            % {"version": standard.version},
            messages.SUCCESS,
        )
