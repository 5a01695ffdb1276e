from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cameras.choices import ConnectionStatus
from cameras.models import Camera
from facilities import access
from facilities.importer import FacilityImporter
from facilities.models import Facility, Province
from portal.admin_scope import ScopedAdmin, ScopedProvinceFilter
from portal.badges import badge
from portal.import_views import import_urls
from portal.query import count_of


@admin.register(Province)
class ProvinceAdmin(ScopedAdmin):
    """Provinces come from the official list: only national administrators edit them."""

    list_display = [
        "code",
        "name",
        "name_en",
        "region",
        "operator",
        "active",
        "facility_count",
        "camera_count",
        "connected_count",
    ]
    list_filter = ["region", "operator", "active"]
    search_fields = ["code", "search_text__folded_contains"]
    ordering = ["code"]

    def has_add_permission(self, request):
        return access.is_national_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def get_queryset(self, request):
        facilities = Facility.objects.restrict(request.user, access.VIEW)
        cameras = Camera.objects.restrict(request.user, access.VIEW)
        return (
            super()
            .get_queryset(request)
            .annotate(
                facility_total=count_of(facilities, "province"),
                camera_total=count_of(cameras, "facility__province"),
                connected_total=count_of(
                    cameras.filter(connection_status=ConnectionStatus.CONNECTED),
                    "facility__province",
                ),
            )
        )

    @admin.display(description=_("facilities"), ordering="facility_total")
    def facility_count(self, obj):
        return obj.facility_total

    @admin.display(description=_("cameras"), ordering="camera_total")
    def camera_count(self, obj):
        return obj.camera_total

    @admin.display(description=_("connected"), ordering="connected_total")
    def connected_count(self, obj):
        return obj.connected_total


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    change_list_template = "admin/import_change_list.html"
    list_display = [
        "name",
        "province",
        "kind",
        "status_badge",
        "planned_cameras",
        "camera_count",
        "connected_count",
        "focal_name",
    ]
    list_filter = [
        ("province", ScopedProvinceFilter),
        "province__region",
        "province__operator",
        "status",
        "kind",
    ]
    list_select_related = ["province"]
    # Name, district, address, managing agency, focal person, accents or not (portal/search.py).
    search_fields = ["search_text__folded_contains"]
    autocomplete_fields = ["province"]
    fk_scopes = {"province": (Province, access.CHANGE)}
    fieldsets = [
        (None, {"fields": ["province", "name", "kind", "status", "planned_cameras"]}),
        (_("Location"), {"fields": ["address", "district", "managing_agency", "capacity"]}),
        (
            _("Focal person"),
            {"fields": ["focal_name", "focal_title", "focal_phone", "focal_email"]},
        ),
    ]

    def get_urls(self):
        # Before the admin's own patterns, whose "<object id>/" would swallow "import/".
        return import_urls(self, FacilityImporter) + super().get_urls()

    def get_queryset(self, request):
        cameras = Camera.objects.restrict(request.user, access.VIEW)
        return (
            super()
            .get_queryset(request)
            .annotate(
                camera_total=count_of(cameras, "facility"),
                connected_total=count_of(
                    cameras.filter(connection_status=ConnectionStatus.CONNECTED), "facility"
                ),
            )
        )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.status, obj.get_status_display())

    @admin.display(description=_("cameras"), ordering="camera_total")
    def camera_count(self, obj):
        return obj.camera_total

    @admin.display(description=_("connected"), ordering="connected_total")
    def connected_count(self, obj):
        return obj.connected_total
