"""Stored snapshots in the admin: read-only, scoped like every other list."""

from django.contrib import admin

from facilities import access
from reports.models import DailySnapshot


@admin.register(DailySnapshot)
class DailySnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "province",
        "operator",
        "facilities",
        "facilities_connected",
        "cameras_registered",
        "cameras_eligible",
        "cameras_ineligible",
        "cameras_connected",
        "cameras_online",
        "cameras_offline",
        "cameras_planned",
        "taken_at",
    ]
    list_filter = ["day", "operator", "region"]
    date_hierarchy = "day"
    search_fields = ["province__search_text__folded_contains", "province__code"]
    list_select_related = ["province"]

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, access.VIEW)

    # A report is what the snapshot took; nobody edits it by hand (re-run the day instead).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national_viewer(request.user)

    def has_module_permission(self, request):
        return access.is_national_viewer(request.user)
