"""The problem reports in the admin: the scoped list with filters, read there, handled on the
report's page (problems/views.py), where the thread and the files are."""

from django.contrib import admin

from cameras.models import Camera
from facilities import access
from facilities.models import Facility, Province
from portal.admin_scope import ScopedAdmin
from problems.forms import answerers
from problems.models import ProblemReport, may_answer


@admin.register(ProblemReport)
class ProblemReportAdmin(ScopedAdmin):
    list_display = [
        "id",
        "title",
        "province",
        "facility",
        "category",
        "status",
        "assignee",
        "due_date",
        "created_at",
    ]
    list_display_links = ["id", "title"]
    list_filter = ["status", "category", "due_date", "province"]
    search_fields = ["title"]
    date_hierarchy = "created_at"
    list_select_related = ["province", "facility", "assignee"]
    # Reading and answering happen on the report's page; the admin only lists and hands over.
    readonly_fields = [
        "province",
        "facility",
        "camera",
        "category",
        "title",
        "description",
        "author",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields[:-2] + ["status", "assignee", "due_date", "created_at", "updated_at"]
    fk_scopes = {
        "province": (Province, access.VIEW),
        "facility": (Facility, access.VIEW),
        "camera": (Camera, access.VIEW),
    }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = answerers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        # Reports are opened from the portal's page, where the form warns about passwords.
        return False

    def has_change_permission(self, request, obj=None):
        if obj is None:
            # The admin's menus ask this of every model on every page: answered without a query
            # (only national accounts answer); each report's own page asks `may_answer`.
            return access.is_national_viewer(request.user)
        return may_answer(request.user) and super().has_view_permission(request, obj)
