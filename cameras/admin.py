from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cameras.forms import CameraForm
from cameras.models import Camera
from portal.badges import badge


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraForm
    list_display = [
        "name",
        "facility",
        "province",
        "zone",
        "status_badge",
        "health_badge",
        "last_checked_at",
    ]
    list_filter = [
        "connection_status",
        "health",
        "zone",
        "facility__province__region",
        "facility__province__operator",
        "facility__province",
    ]
    list_select_related = ["facility__province"]
    search_fields = ["name", "facility__name", "stream_url", "vendor", "model"]
    autocomplete_fields = ["facility"]
    readonly_fields = [
        "status_changed_at",
        "connected_at",
        "connected_by",
        "health",
        "last_codec",
        "resolution",
        "last_fps",
        "last_ttff_ms",
        "last_error_kind",
        "last_error_message",
        "last_checked_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["facility", "name", "zone", "vendor", "model"]}),
        (
            _("Stream"),
            {"fields": ["stream_url", "username", "password", "clear_password", "check_enabled"]},
        ),
        (
            _("Connection"),
            {
                "fields": [
                    "connection_status",
                    "status_reason",
                    "status_changed_at",
                    "connected_at",
                    "connected_by",
                ]
            },
        ),
        (
            _("Last check"),
            {
                "fields": [
                    "health",
                    "last_checked_at",
                    "last_codec",
                    "resolution",
                    "last_fps",
                    "last_ttff_ms",
                    "last_error_kind",
                    "last_error_message",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        if "connection_status" in form.changed_data:
            new_status = obj.connection_status
            obj.connection_status = form.initial.get("connection_status", new_status)
            obj.set_connection_status(new_status, by=request.user)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("province"), ordering="facility__province__code")
    def province(self, obj):
        return obj.facility.province

    @admin.display(description=_("connection status"), ordering="connection_status")
    def status_badge(self, obj):
        return badge(obj.connection_status, obj.get_connection_status_display())

    @admin.display(description=_("health"), ordering="health")
    def health_badge(self, obj):
        return badge(obj.health, obj.get_health_display())

    @admin.display(description=_("resolution"))
    def resolution(self, obj):
        return obj.resolution or "-"
