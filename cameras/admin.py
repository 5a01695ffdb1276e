from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cameras import health, tasks
from cameras.forms import CameraForm
from cameras.importer import CameraImporter
from cameras.models import Camera, ConnectionStatus
from cameras.standard import reason_text
from facilities.models import Facility
from portal import access
from portal.admin_scope import ScopedAdmin, ScopedProvinceFilter, can, has_scope
from portal.badges import badge
from portal.import_views import import_urls

# What an operator engineer may edit on a camera of its province, and set the status to.
CONNECTION_FIELDS = ["connection_status", "status_reason"]
OPERATOR_STATUSES = [ConnectionStatus.CONNECTED, ConnectionStatus.SUSPENDED]


@admin.register(Camera)
class CameraAdmin(ScopedAdmin):
    form = CameraForm
    change_list_template = "admin/import_change_list.html"
    fk_scopes = {"facility": (Facility, access.CHANGE)}
    actions = ["decommission_selected", "check_now"]
    list_display = [
        "name",
        "facility",
        "province",
        "zone",
        "status_badge",
        "health_badge",
        "uptime_today",
        "uptime_7d",
        "last_checked_at",
    ]
    list_filter = [
        "connection_status",
        "health",
        "zone",
        "facility__province__region",
        "facility__province__operator",
        ("facility__province", ScopedProvinceFilter),
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
        "last_keyframe_interval_s",
        "last_bitrate_kbps",
        "last_ok_at",
        "health_changed_at",
        "consecutive_failures",
        "verdict",
        "verdict_standard",
        "verdict_at",
        "check_disabled_reason",
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
                    "health_changed_at",
                    "last_checked_at",
                    "last_ok_at",
                    "consecutive_failures",
                    "last_codec",
                    "resolution",
                    "last_fps",
                    "last_ttff_ms",
                    "last_keyframe_interval_s",
                    "last_bitrate_kbps",
                    "last_error_kind",
                    "last_error_message",
                    "verdict",
                    "verdict_standard",
                    "verdict_at",
                    "check_disabled_reason",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def has_change_permission(self, request, obj=None):
        # Operator engineers change cameras too, but only their connection fields.
        return can(request, access.CHANGE, obj) or can(request, access.CONNECT, obj)

    def _connection_only(self, request, obj):
        return obj is not None and not can(request, access.CHANGE, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._connection_only(request, obj):
            editable = set(CONNECTION_FIELDS)
            for _name, options in self.get_fieldsets(request, obj):
                readonly += [f for f in options["fields"] if f not in editable]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._connection_only(request, obj):
            # Operators never see (even masked) credential inputs.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in
                                           ("username", "password", "clear_password")]})
                for name, opts in fieldsets
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if self._connection_only(request, obj):
            # Declared form fields survive the admin's field list: drop the credential inputs.
            for name in ("username", "password", "clear_password"):
                form.base_fields.pop(name, None)
            allowed = {obj.connection_status, *OPERATOR_STATUSES}
            field = form.base_fields.get("connection_status")
            if field is not None:
                field.choices = [c for c in field.choices if c[0] in allowed]
        return form

    def has_decommission_permission(self, request):
        return has_scope(request, access.CHANGE)

    @admin.action(description=_("Decommission selected cameras"), permissions=["decommission"])
    def decommission_selected(self, request, queryset):
        # The list shows what the user may read; only what it may change is decommissioned,
        # one save per camera so each change is in the audit log.
        allowed = queryset.restrict(request.user, access.CHANGE).exclude(
            connection_status=ConnectionStatus.DECOMMISSIONED
        )
        done = 0
        for camera in allowed:
            camera.set_connection_status(ConnectionStatus.DECOMMISSIONED, by=request.user)
            camera.check_enabled = False
            camera.save()
            done += 1
        skipped = queryset.count() - done
        self.message_user(
            request,
            ngettext("%(n)d camera decommissioned.", "%(n)d cameras decommissioned.", done)
            % {"n": done},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d camera was not changed (already decommissioned or not yours).",
                    "%(n)d cameras were not changed (already decommissioned or not yours).",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    def get_queryset(self, request):
        # Uptime of today and the last 7 days: two subqueries in the list query, none per row.
        return health.with_uptime(super().get_queryset(request))

    def has_check_permission(self, request):
        # CHANGE implies CONNECT and is already asked on the page (no extra query for admins).
        return has_scope(request, access.CHANGE) or has_scope(request, access.CONNECT)

    @admin.action(description=_("Check now"), permissions=["check"])
    def check_now(self, request, queryset):
        # Operators and province admins run checks on the cameras they may connect; the checks
        # are queued (django-q2) and their results appear on each camera.
        allowed = tasks.checkable().filter(
            pk__in=queryset.restrict(request.user, access.CONNECT).values("pk")
        )
        ids = list(allowed.values_list("pk", flat=True))
        tasks.request_checks(ids)
        self.message_user(
            request,
            ngettext(
                "A check of %(n)d camera was queued; its result appears on the camera shortly.",
                "Checks of %(n)d cameras were queued; results appear on the cameras shortly.",
                len(ids),
            )
            % {"n": len(ids)},
            messages.SUCCESS,
        )
        skipped = queryset.count() - len(ids)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d camera was not checked (checks disabled, decommissioned or not yours).",
                    "%(n)d cameras were not checked (checks disabled, decommissioned or not "
                    "yours).",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    def get_urls(self):
        # Before the admin's own patterns, whose "<object id>/" would swallow "import/".
        return import_urls(self, CameraImporter) + super().get_urls()

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

    @admin.display(description=_("uptime today"), ordering="uptime_today")
    def uptime_today(self, obj):
        return _percent(getattr(obj, "uptime_today", None))

    @admin.display(description=_("uptime 7 days"), ordering="uptime_7d")
    def uptime_7d(self, obj):
        return _percent(getattr(obj, "uptime_7d", None))

    @admin.display(description=_("verdict"))
    def verdict(self, obj):
        if obj.verdict_eligible is None:
            return "-"
        if obj.verdict_eligible:
            return _("Meets the connection standard")
        return format_html_join(
            "", "<div>{}</div>", ((reason_text(reason),) for reason in obj.verdict_reasons)
        )


def _percent(value):
    return "-" if value is None else f"{value:.0f} %"


# The connection standard's admin (national administrators only).
from cameras import standard_admin  # noqa: E402, F401
