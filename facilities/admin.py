from django.contrib import admin
from django.db.models import Count, F, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from cameras.choices import ConnectionStatus
from cameras.models import Camera
from facilities import access
from facilities.importer import FacilityImporter
from facilities.models import Facility, Province
from portal.admin_scope import (
    Counted,
    DropdownChoicesFilter,
    DropdownFilter,
    ScopedAdmin,
    ScopedProvinceFilter,
    can,
)
from portal.badges import badge
from portal.import_views import import_urls
from reports import facility_summary

# The province's contact at its Department of Information and Communications: the only fields of
# a province its province admins edit (the others come from the official list).
CONTACT_FIELDS = ["contact_name", "contact_title", "contact_phone", "contact_email"]


@admin.register(Province)
class ProvinceAdmin(ScopedAdmin):
    """Provinces come from the official list: only national administrators edit them, except
    the contact person, which the province's own admins keep up to date."""

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
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "region", "operator", "active"]}),
        (_("Contact at the Department of Information and Communications"),
         {"fields": CONTACT_FIELDS}),
    ]

    def has_add_permission(self, request):
        return access.is_national_admin(request.user)

    # Changing: the scope's "change" on that province (its province admins, national
    # administrators: ScopedAdmin), limited to the contact fields below for province admins.

    def get_readonly_fields(self, request, obj=None):
        if access.is_national_admin(request.user):
            return super().get_readonly_fields(request, obj)
        return [
            name
            for _title, options in self.fieldsets
            for name in options["fields"]
            if name not in CONTACT_FIELDS
        ]

    def counted(self, request):
        # Counted within the reader's scope, for the page's provinces (PageChangeList), in one
        # query over the facilities in scope and their cameras: a camera is in the scope
        # exactly when its facility is (Camera.objects.restrict).
        facilities = Facility.objects.restrict(request.user, access.VIEW)
        connected = Q(cameras__connection_status=ConnectionStatus.CONNECTED)
        return [
            Counted(
                facilities,
                "province",
                {
                    "facility_total": Count("pk", distinct=True),
                    "camera_total": Count("cameras"),
                    "connected_total": Count("cameras", filter=connected),
                },
            ),
        ]

    @admin.display(description=_("facilities"), ordering="facility_total")
    def facility_count(self, obj):
        return obj.facility_total

    @admin.display(description=_("cameras"), ordering="camera_total")
    def camera_count(self, obj):
        return obj.camera_total

    @admin.display(description=_("connected"), ordering="connected_total")
    def connected_count(self, obj):
        return obj.connected_total


# The cameras a facility's "registered" figure counts: all but decommissioned ones
# (reports/facility_summary.py).
REGISTERED = ~Q(connection_status=ConnectionStatus.DECOMMISSIONED)


class PlannedFilter(DropdownFilter, admin.SimpleListFilter):
    """Facilities whose registered cameras differ from the planned number (FacilityAdmin's
    `registered_total` figure, annotated on the whole list when this filter is used: a
    condition in the list query, no query of its own)."""

    title = _("registered against planned cameras")
    parameter_name = "planned"

    def __init__(self, request, params, model, model_admin):
        self.model_admin = model_admin
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            ("differs", _("Registered differs from planned")),
            (facility_summary.FEWER, _("Fewer registered than planned")),
            (facility_summary.MORE, _("More registered than planned")),
            (facility_summary.AS_PLANNED, _("As planned")),
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        # Filtering needs the figure of every facility, not only of the page's.
        queryset = self.model_admin.with_figures(request, queryset, {"registered_total"})
        planned = F("planned_cameras")
        conditions = {
            "differs": ~Q(registered_total=planned),
            facility_summary.FEWER: Q(registered_total__lt=planned),
            facility_summary.MORE: Q(registered_total__gt=planned),
            facility_summary.AS_PLANNED: Q(registered_total=planned),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


def add_camera_url(facility):
    """The camera form with `facility` already chosen."""
    return "{}?{}".format(reverse("admin:cameras_camera_add"), urlencode({"facility": facility.pk}))


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    change_list_template = "admin/import_change_list.html"
    list_display = [
        "name",
        "province",
        "kind",
        "status_badge",
        "registered_of_planned",
        "connected_count",
        "focal_name",
    ]
    list_filter = [
        ("province", ScopedProvinceFilter),
        ("province__region", DropdownChoicesFilter),
        ("province__operator", DropdownChoicesFilter),
        ("status", DropdownChoicesFilter),
        ("kind", DropdownChoicesFilter),
        PlannedFilter,
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

    def counted(self, request):
        # Counted within the reader's scope, for the page's facilities (PageChangeList).
        cameras = Camera.objects.restrict(request.user, access.VIEW)
        return [
            Counted(
                cameras,
                "facility",
                {
                    "registered_total": REGISTERED,
                    "connected_total": Q(connection_status=ConnectionStatus.CONNECTED),
                },
            )
        ]

    def get_changeform_initial_data(self, request):
        """A person who may add facilities in one province only starts with that province
        chosen: nothing to pick from a list of one."""
        initial = super().get_changeform_initial_data(request)
        if "province" not in initial:
            changeable = Province.objects.restrict(request.user, access.CHANGE)
            provinces = list(changeable.values_list("pk", flat=True)[:2])
            if len(provinces) == 1:
                initial["province"] = provinces[0]
        return initial

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context.update(self._cameras_context(request, obj))
        # "Save and add cameras": the next step of registering a facility is its cameras.
        context["show_save_and_add_cameras"] = self._may_add_cameras(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        return self._to_camera_form(request, obj) or response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        return self._to_camera_form(request, obj) or response

    def _to_camera_form(self, request, facility):
        """After "Save and add cameras": the camera form with this facility chosen (its
        success message is already queued by the admin)."""
        if "_addcameras" not in request.POST or not self._may_add_cameras(request, facility):
            return None
        return HttpResponseRedirect(add_camera_url(facility))

    def _may_add_cameras(self, request, facility):
        """Whether the camera form would accept a camera for `facility` (None: a facility
        being added, which the user may change once saved)."""
        camera_admin = self.admin_site._registry.get(Camera)
        # The camera form offers only facilities the user may change (CameraAdmin.fk_scopes).
        return (
            camera_admin is not None
            and camera_admin.has_add_permission(request)
            and (facility is None or facility.pk is None or can(request, access.CHANGE, facility))
        )

    def _cameras_context(self, request, facility):
        """The facility's cameras in the user's scope, their summary, the province's contact and
        the link to add a camera here (for those who may): one query for the cameras."""
        cameras = list(
            Camera.objects.restrict(request.user, access.VIEW)
            .filter(facility=facility)
            .select_related("state")
            .only(
                "id", "name", "zone", "connection_status", "status_reason", "facility_id",
                "state__health", "state__last_checked_at",
            )
            .order_by("name")
        )
        may_add = self._may_add_cameras(request, facility)
        return {
            "facility_cameras": cameras,
            "summary": facility_summary.summarise(cameras, facility.planned_cameras),
            "add_camera_url": add_camera_url(facility) if may_add else None,
            "province": facility.province,
        }

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.status, obj.get_status_display())

    @admin.display(description=_("registered / planned"), ordering="registered_total")
    def registered_of_planned(self, obj):
        figures = f"{obj.registered_total} / {obj.planned_cameras}"
        key = facility_summary.comparison(obj.registered_total, obj.planned_cameras)
        if key == facility_summary.AS_PLANNED:
            return figures
        return format_html(
            '{} {}', figures, badge(key, facility_summary.COMPARISON_SHORT_TEXT[key])
        )

    @admin.display(description=_("connected"), ordering="connected_total")
    def connected_count(self, obj):
        return obj.connected_total
