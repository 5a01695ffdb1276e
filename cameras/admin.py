from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cameras import bulk, disclosure, health, lifecycle, tasks
from cameras import check_status as progress
from cameras.forms import CameraForm
from cameras.importer import CameraImporter
from cameras.models import Camera, CameraState, ConnectionStandard
from cameras.queue import request_checks
from cameras.standard_admin import ConnectionStandardAdmin
from facilities import access
from facilities.models import Facility
from portal import twofactor
from portal.admin_scope import (
    CappedPaginator,
    DropdownChoicesFilter,
    ScopedAdmin,
    ScopedProvinceFilter,
    can,
    has_scope,
    scoped_provinces,
)
from portal.badges import COLOURS
from portal.import_views import import_urls

# The connection standard's admin has its own module (national administrators only).
admin.site.register(ConnectionStandard, ConnectionStandardAdmin)

# Status changes shown on the camera page, newest first.
TIMELINE_LENGTH = 10

NOT_CHECKED = _(
    "This camera is not checked: its checks are turned off, it is decommissioned or its "
    "facility is closed."
)

# The credential inputs of the camera form, which operators never see.
CREDENTIAL_INPUTS = ("username", "password", "password_token", "clear_password")

# The row button of the camera list that connects one camera (CameraAdmin._connect_one), and
# the statuses it is offered on: those the lifecycle's "connect" starts from.
CONNECT_ONE = "_connect_one"
CONNECTABLE_FROM = lifecycle.by_name("connect").sources

# What an operator engineer may edit on a camera of its province (through the lifecycle).
CONNECTION_FIELDS = ["connection_status", "status_reason"]


def state_field(name):
    """An admin row (or column) showing the check state's field `name` as the admin shows a
    field of the camera itself: its label, its formatting, sorted by it."""
    field = CameraState._meta.get_field(name)

    @admin.display(description=field.verbose_name, ordering=f"state__{name}")
    def show(model_admin, obj):
        return display_for_field(
            getattr(obj.state, name), field, model_admin.get_empty_value_display()
        )

    show.__name__ = name
    return show


@admin.register(Camera)
class CameraAdmin(ScopedAdmin):
    form = CameraForm
    # The import link, the filters in a bar above the list, the progress of "Check now".
    change_list_template = "admin/cameras/camera/change_list.html"
    fk_scopes = {"facility": (Facility, access.CHANGE)}
    actions = [
        "check_now",
        "connect_selected",
        "suspend_selected",
        "decommission_selected",
        "reinstate_selected",
    ]
    # Fits a 1366 px screen with the admin's side menu open (measured with headless Chromium):
    # the zone under the name, the province under the facility (left out for a person of one
    # province), the last error under the health badge, both uptimes in one column, short times.
    list_display = [
        "name_and_zone",
        "facility_and_province",
        "status_badge",
        "health_badge",
        "uptime",
        "last_checked",
    ]
    list_display_links = ["name_and_zone"]
    list_filter = [
        ("connection_status", DropdownChoicesFilter),
        ("state__health", DropdownChoicesFilter),
        ("zone", DropdownChoicesFilter),
        ("facility__province__region", DropdownChoicesFilter),
        ("facility__province__operator", DropdownChoicesFilter),
        ("facility__province", ScopedProvinceFilter),
    ]
    list_select_related = ["facility__province", "state"]
    # Name, vendor, model, address and the facility's text, accents or not: one folded column
    # (trigram-indexed on PostgreSQL: portal/search.py), no join, no UPPER() LIKE.
    search_fields = ["search_text__folded_contains"]
    autocomplete_fields = ["facility"]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # A search of words most cameras share ("khu cach ly") matches thousands: its count
        # stops at the pages within reach ("more than 1,000 results"), where counting every
        # match re-read them all (100 of 310 ms on PostgreSQL at 100,000 cameras). The list
        # itself keeps its exact count.
        if request.GET.get(SEARCH_VAR, "").strip():
            return CappedPaginator.for_request(
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
    readonly_fields = [
        "status_timeline",
        "status_changed_at",
        "connected_at",
        "connected_by",
        "central_id",
        "health",
        "last_codec",
        "resolution",
        "last_fps",
        "last_ttff_ms",
        "last_error",
        "last_checked_at",
        "last_keyframe_interval_s",
        "last_bitrate_kbps",
        "last_ok_at",
        "health_changed_at",
        "consecutive_failures",
        "verdict",
        "verdict_standard",
        "verdict_at",
        "full_checked_at",
        "check_disabled_reason",
        "picture_warnings",
        "placement",
        "latest_picture",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["facility", "name", "zone", "vendor", "model"]}),
        (
            _("Stream"),
            {
                "fields": [
                    "stream_url",
                    "username",
                    "password",
                    "password_token",
                    "clear_password",
                    "check_enabled",
                ]
            },
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
                    "central_id",
                    "status_timeline",
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
                    "last_error",
                    "verdict",
                    "verdict_standard",
                    "verdict_at",
                    "full_checked_at",
                    "check_disabled_reason",
                ]
            },
        ),
        (_("Picture"), {"fields": ["picture_warnings", "placement", "latest_picture"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def has_change_permission(self, request, obj=None):
        # Operator engineers change cameras too, but only their connection fields.
        return can(request, access.CHANGE, obj) or can(request, access.CONNECT, obj)

    def _connection_only(self, request, obj):
        return obj is not None and not can(request, access.CHANGE, obj)

    def _roles(self, request, obj):
        return lifecycle.roles_of(
            request.user, obj, can=lambda _user, action, target: can(request, action, target)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._connection_only(request, obj):
            editable = set(CONNECTION_FIELDS)
            for _name, options in self.get_fieldsets(request, obj):
                readonly += [f for f in options["fields"] if f not in editable]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # A new camera starts as registered; its first check decides the rest, and it has
            # no stored credentials to remove.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != "clear_password"]})
                for name, opts in fieldsets
                if name not in (_("Connection"), _("Last check"), _("Picture"), _("Record"))
            ]
        if not self._sees_picture(request, obj):
            # The picture's warnings are for everyone who reads the camera; the picture only for
            # those who may see it, after the second factor.
            fieldsets = [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != "latest_picture"]})
                for name, opts in fieldsets
            ]
        if self._connection_only(request, obj):
            # Operators never see (even masked) credential inputs.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in
                                           CREDENTIAL_INPUTS]})
                for name, opts in fieldsets
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["exclude"] = [*(kwargs.get("exclude") or ()), *CONNECTION_FIELDS]
        form = super().get_form(request, obj, change, **kwargs)
        if self._connection_only(request, obj):
            # Declared form fields survive the admin's field list: drop the credential inputs.
            for name in CREDENTIAL_INPUTS:
                form.base_fields.pop(name, None)
        if obj is None:
            form.base_fields.pop("clear_password", None)
        # A password carried over a failed save is sealed for this account only (CameraForm).
        form.password_owner_id = request.user.pk
        if obj is not None:
            roles = self._roles(request, obj)
            # The form class is made for this request: the person's roles travel on it.
            form.lifecycle_roles = roles
            form.lifecycle_actor = request.user
            field = form.base_fields.get("connection_status")
            if field is not None:
                allowed = {obj.connection_status, *lifecycle.offered_targets(obj, roles)}
                field.choices = [c for c in field.choices if c[0] in allowed]
                # A status no longer offered was most often the camera's own when the page was
                # opened: the checks (or another person) moved it meanwhile. Say so, not
                # Django's "registered is not one of the available choices".
                field.error_messages = {
                    **field.error_messages,
                    "invalid_choice": _(
                        "The connection status changed to “%(current)s” while you were editing "
                        "(by the checks or another person). Choose the status again and save."
                    )
                    % {"current": obj.get_connection_status_display()},
                }
        return form

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        if "_addanother" in request.POST and response.status_code == 302:
            # The next camera is most often for the same facility: it starts chosen.
            response["Location"] = _with_query(response["Location"], facility=obj.facility_id)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if getattr(form, "status_change", None) is not None:
            lifecycle.record(form.status_change, obj)
        if obj.credentials_dropped or getattr(form, "dropped_credentials", False):
            self.message_user(
                request,
                _(
                    "The stream address moved to another host, so its stored user name and "
                    "password were removed. Enter the credentials for the new address."
                ),
                messages.WARNING,
            )

    # --- Actions: the lifecycle, camera by camera ----------------------------------------------

    def has_connect_permission(self, request):
        return has_scope(request, access.CONNECT)

    def has_decommission_permission(self, request):
        return has_scope(request, access.CHANGE)

    def has_check_permission(self, request):
        return has_scope(request, access.CHECK)

    @admin.action(description=_("Mark selected cameras connected"), permissions=["connect"])
    def connect_selected(self, request, queryset):
        return self._transition_action(request, queryset, "connect")

    @admin.action(description=_("Suspend selected cameras"), permissions=["connect"])
    def suspend_selected(self, request, queryset):
        return self._transition_action(request, queryset, "suspend")

    @admin.action(description=_("Decommission selected cameras"), permissions=["decommission"])
    def decommission_selected(self, request, queryset):
        return self._transition_action(request, queryset, "decommission")

    @admin.action(description=_("Reinstate selected cameras"), permissions=["decommission"])
    def reinstate_selected(self, request, queryset):
        return self._transition_action(request, queryset, "reinstate")

    def _transition_action(self, request, queryset, name):
        transition = lifecycle.by_name(name)
        reason = ""
        if lifecycle.REASON in transition.requires:
            reason = (request.POST.get("reason") or "").strip()
            if "apply" not in request.POST or not reason:
                # The intermediate page asks for the reason (again, if it was left empty).
                missing = "apply" in request.POST
                return self._reason_page(request, queryset, name, transition, missing)
        action = lifecycle.ROLE_ACTIONS[transition.by]
        mine = queryset.restrict(request.user, action).select_related("facility", "state")
        result = bulk.apply_to_each(mine, transition, request.user, reason)
        skipped = queryset.count() - len(result.done) - len(result.refused)
        bulk.report(self, request, transition, result, skipped)
        return None

    def _reason_page(self, request, queryset, name, transition, missing):
        context = {
            **self.admin_site.each_context(request),
            "title": transition.label,
            "opts": self.model._meta,
            "action": name,
            "transition": transition,
            "cameras": queryset.select_related("facility")[:200],
            "count": queryset.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "missing": missing,
            "reason": request.POST.get("reason", ""),
        }
        return TemplateResponse(request, "admin/cameras/camera/transition_reason.html", context)

    # What the list's columns read (PageChangeList: the page sorts ids, then reads these for
    # its own cameras): never the encrypted credentials, the reason texts or the verdict's JSON.
    list_only = [
        "id",
        "name",
        "zone",
        "connection_status",
        "facility__id",
        "facility__name",
        "facility__province__id",
        "facility__province__code",
        "facility__province__name",
        "state__camera_id",
        "state__health",
        "state__last_error_kind",
        "state__last_checked_at",
    ]

    # Uptime of today and of the last 7 days: summed for the page's cameras in the query that
    # reads them, or, when the list is sorted by it, for every camera in the list's own query.
    UPTIME = frozenset({"uptime_today", "uptime_7d"})

    def figure_names(self, request):
        return super().figure_names(request) | self.UPTIME

    def with_figures(self, request, queryset, names):
        queryset = super().with_figures(request, queryset, names)
        if names & self.UPTIME and "uptime_7d" not in queryset.query.annotations:
            queryset = health.with_uptime(queryset)
        return queryset

    def page_rows(self, request, queryset):
        return health.with_page_uptime(queryset)

    @admin.action(description=_("Check now"), permissions=["check"])
    def check_now(self, request, queryset):
        # Operators and province admins run checks on the cameras of their provinces; the
        # checks are queued (django-q2) and the page that follows shows them arrive.
        allowed = tasks.checkable().filter(
            pk__in=queryset.restrict(request.user, access.CHECK).values("pk")
        )
        ids = list(allowed.values_list("pk", flat=True))
        self._request_checks(request, ids)
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
                    "%(n)d camera was not checked (checks disabled, decommissioned, facility "
                    "closed or not yours).",
                    "%(n)d cameras were not checked (checks disabled, decommissioned, facility "
                    "closed or not yours).",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    def _request_checks(self, request, ids):
        # The time is taken before queuing: with synchronous tasks the check is done on return.
        since = timezone.now()
        request_checks(ids)
        if ids:
            progress.remember(request.session, ids, since)

    def check_view(self, request, object_id):
        """"Check now" on a camera's page (POST): queue its check, back to the page, which
        follows the check until its result arrives."""
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:cameras_camera_change", args=[object_id])
            )
        camera = self.get_object(request, unquote(object_id))
        if camera is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not can(request, access.CHECK, camera):
            raise PermissionDenied
        if tasks.checkable().filter(pk=camera.pk).exists():
            self._request_checks(request, [camera.pk])
            self.message_user(
                request,
                _("A check of this camera was queued; its result appears below when it "
                  "arrives."),
                messages.SUCCESS,
            )
        else:
            self.message_user(request, NOT_CHECKED, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:cameras_camera_change", args=[camera.pk]))

    def connection_view(self, request, object_id):
        """"Show connection details" on a camera's page (POST, never a cached GET): the stream
        address, user name and password, for the operator engineers of its province and
        national administrators (cameras/disclosure.py: the same rules, account event and
        limit as the API's connection endpoint)."""
        back = HttpResponseRedirect(reverse("admin:cameras_camera_change", args=[object_id]))
        if request.method != "POST":
            return back
        camera = self.get_object(request, unquote(object_id))
        if camera is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not can(request, access.CONNECT, camera):
            raise PermissionDenied(disclosure.WHO_REFUSAL)
        refusal = disclosure.status_refusal(camera)
        if refusal is not None:
            self.message_user(request, refusal, messages.WARNING)
            return back
        try:
            disclosure.take(request.user, 1)
        except disclosure.RateExceeded as exceeded:
            self.message_user(
                request,
                _(
                    "You received the connection details of %(limit)d cameras in this period, "
                    "the most allowed: try again in %(wait)d seconds."
                )
                % {"limit": exceeded.limit, "wait": exceeded.wait},
                messages.ERROR,
            )
            return back
        (details,) = disclosure.disclose([camera], request, via="admin")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Connection details"),
            "opts": self.opts,
            "original": camera,
            "details": details,
        }
        response = TemplateResponse(
            request, "admin/cameras/camera/connection_details.html", context
        )
        response["Cache-Control"] = "no-store"
        return response

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and CONNECT_ONE in request.POST:
            return self._connect_one(request)
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            shown = [camera.pk for camera in context["cl"].result_list]
            context["camera_checks"] = progress.recall(request.session, shown)
            context["check_poll_ms"] = progress.POLL_SECONDS * 1000
            context["check_give_up_ms"] = progress.GIVE_UP_SECONDS * 1000
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["may_check"] = can(request, access.CHECK, obj)
            context["checks_run"] = context["may_check"] and tasks.checkable().filter(
                pk=obj.pk
            ).exists()
            # The operator engineers of the province and national administrators (already
            # asked by has_change_permission: no query), for a camera in a status they connect.
            context["may_see_connection"] = (
                can(request, access.CONNECT, obj)
                and disclosure.status_refusal(obj) is None
            )
            if request.method == "GET":
                context["camera_checks"] = progress.recall(request.session, [obj.pk])
                context["check_poll_ms"] = progress.POLL_SECONDS * 1000
                context["check_give_up_ms"] = progress.GIVE_UP_SECONDS * 1000
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        # Before the admin's own patterns, whose "<object id>/" would swallow "import/".
        check = path(
            "<path:object_id>/check/",
            self.admin_site.admin_view(self.check_view),
            name="cameras_camera_check",
        )
        connection = path(
            "<path:object_id>/connection/",
            self.admin_site.admin_view(self.connection_view),
            name="cameras_camera_connection",
        )
        return [*import_urls(self, CameraImporter), check, connection, *super().get_urls()]

    # --- The list -------------------------------------------------------------------------------

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if len(scoped_provinces(request)) == 1:
            # A person of one province knows which province every camera is in.
            columns[columns.index("facility_and_province")] = "facility_name"
        if self.has_connect_permission(request):
            # Operators connect a waiting camera from its row: one click, not tick, choose the
            # action and go.
            columns[columns.index("status_badge")] = "status_with_connect"
        return columns

    @admin.display(description=_("name"), ordering="name")
    def name_and_zone(self, obj):
        return format_html(
            '{}<span class="cell-note">{}</span>', obj.name, obj.get_zone_display()
        )

    @admin.display(description=_("facility"), ordering="facility__name")
    def facility_and_province(self, obj):
        return format_html(
            '{}<span class="cell-note">{}</span>', obj.facility.name, obj.facility.province
        )

    @admin.display(description=_("facility"), ordering="facility__name")
    def facility_name(self, obj):
        return obj.facility.name

    @admin.display(description=_("connection status"), ordering="connection_status")
    def status_badge(self, obj):
        return camera_badge(
            obj.pk, "connection_status", obj.connection_status, obj.get_connection_status_display()
        )

    @admin.display(description=_("connection status"), ordering="connection_status")
    def status_with_connect(self, obj):
        """The status badge and, for a camera the lifecycle may connect from its status, a
        "Connect" button that posts the list's own form (its CSRF token included); whether
        this person may connect this camera is decided when it is pressed."""
        badge_html = self.status_badge(obj)
        if obj.connection_status not in CONNECTABLE_FROM:
            return badge_html
        return format_html(
            '{}<button type="submit" class="button row-action" name="{}" value="{}">{}</button>',
            badge_html, CONNECT_ONE, obj.pk, _("Connect"),
        )

    def _connect_one(self, request):
        """The row's "Connect" button: the lifecycle's connect for that one camera, reported
        like the bulk action, then back to the same list."""
        if not self.has_connect_permission(request):
            raise PermissionDenied
        try:
            pk = int(request.POST[CONNECT_ONE])
        except ValueError:
            pk = None
        camera = self.get_queryset(request).filter(pk=pk)
        if pk is None or not camera.exists():
            self.message_user(request, _("That camera is not in your list."), messages.ERROR)
        else:
            self._transition_action(request, camera, "connect")
        return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("health"), ordering="state__health")
    def health_badge(self, obj):
        # The last error under the badge, translated from its stored kind; kept in place (empty
        # and hidden) so the page can fill it when a check it asked for answers.
        error = progress.error_label(obj.state.last_error_kind)
        return format_html(
            '{}<span class="cell-note cell-error" data-camera-id="{}" '
            'data-camera-field="last_error"{}>{}</span>',
            camera_badge(obj.pk, "health", obj.state.health, obj.state.get_health_display(), error),
            obj.pk,
            "" if error else mark_safe(" hidden"),
            error,
        )

    @admin.display(description=_("uptime today · 7 days"), ordering="uptime_7d")
    def uptime(self, obj):
        today, week = getattr(obj, "uptime_today", None), getattr(obj, "uptime_7d", None)
        if today is None and week is None:
            return "-"
        return format_html(
            '<span title="{}">{}</span> · <span title="{}">{}</span>',
            _("uptime today"),
            _percent(today),
            _("uptime 7 days"),
            _percent(week),
        )

    @admin.display(
        description=CameraState._meta.get_field("last_checked_at").verbose_name,
        ordering="state__last_checked_at",
    )
    def last_checked(self, obj):
        return check_time(obj.pk, obj.state.last_checked_at, short=True)

    # The last check, from the camera's check state.
    health_changed_at = state_field("health_changed_at")
    last_ok_at = state_field("last_ok_at")
    consecutive_failures = state_field("consecutive_failures")
    last_codec = state_field("last_codec")
    last_fps = state_field("last_fps")
    last_ttff_ms = state_field("last_ttff_ms")
    last_keyframe_interval_s = state_field("last_keyframe_interval_s")
    last_bitrate_kbps = state_field("last_bitrate_kbps")
    verdict_at = state_field("verdict_at")
    # Frame rate, bit rate and keyframe interval are the last full check's (cameras/tasks.py).
    full_checked_at = state_field("full_checked_at")

    @admin.display(description=_("resolution"))
    def resolution(self, obj):
        return obj.state.resolution or "-"

    @admin.display(description=_("standard version"))
    def verdict_standard(self, obj):
        standard = obj.state.verdict_standard
        if standard is None:
            return self.get_empty_value_display()
        url = reverse("admin:cameras_connectionstandard_change", args=[standard.pk])
        return format_html('<a href="{}">{}</a>', url, standard)

    # Rows of the camera page that a check answering while the page is open updates in place.
    @admin.display(description=CameraState._meta.get_field("health").verbose_name)
    def health(self, obj):
        return camera_badge(obj.pk, "health", obj.state.health, obj.state.get_health_display())

    @admin.display(description=CameraState._meta.get_field("last_checked_at").verbose_name)
    def last_checked_at(self, obj):
        return check_time(obj.pk, obj.state.last_checked_at, short=False)

    @admin.display(description=_("status history"))
    def status_timeline(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        changes = list(obj.status_changes.select_related("by")[:TIMELINE_LENGTH])
        if not changes:
            return "-"
        return format_html(
            '<ol class="status-timeline">{}</ol>',
            format_html_join(
                "",
                "<li><time>{}</time> {} &rarr; <strong>{}</strong> · {}"
                '<span class="muted">{}</span></li>',
                (
                    (when, source, target, who, f" · {reason}" if reason else "")
                    for when, source, target, who, reason in map(_timeline_row, changes)
                ),
            ),
        )

    def _sees_picture(self, request, obj):
        if obj is None or not twofactor.is_verified(request.session):
            return False
        return Camera.objects.restrict_pictures(request.user).filter(pk=obj.pk).exists()

    def _latest_snapshot(self, obj):
        if not hasattr(obj, "_latest_snapshot"):
            obj._latest_snapshot = obj.snapshots.order_by("-taken_at", "-pk").first()
        return obj._latest_snapshot

    @admin.display(description=_("picture warnings"))
    def picture_warnings(self, obj):
        snapshot = self._latest_snapshot(obj)
        if snapshot is None:
            return _("No picture yet: the next check on request takes one.")
        labels = snapshot.warning_labels()
        if not labels:
            return _("None: the picture of %(time)s looks usable.") % {
                "time": progress.full_time(snapshot.taken_at)
            }
        return format_html(
            '<ul class="picture-warnings">{}</ul>',
            format_html_join("", "<li>{}</li>", ((label,) for label in labels)),
        )

    @admin.display(description=_("placement review"))
    def placement(self, obj):
        entry = obj.placement_reviews.select_related("by").order_by("-at", "-pk").first()
        if entry is None:
            return _("Not reviewed")
        who = entry.by.get_username() if entry.by_id else "-"
        return format_html(
            "<strong>{}</strong>{} <span class=\"muted\">({}, {})</span>",
            entry.get_decision_display(),
            f": {entry.reason_text()}" if entry.reason else "",
            who,
            progress.full_time(entry.at),
        )

    @admin.display(description=_("latest picture"))
    def latest_picture(self, obj):
        snapshot = self._latest_snapshot(obj)
        if snapshot is None:
            return "-"
        # Served by the one scoped view (cameras/views.py): every look is on record.
        return format_html(
            '<figure class="camera-picture"><img src="{}" width="{}" height="{}" alt="{}" '
            'loading="lazy" referrerpolicy="no-referrer"><figcaption>{}</figcaption></figure>',
            reverse("camera_snapshot", args=[snapshot.pk]),
            snapshot.width,
            snapshot.height,
            _("What the camera saw"),
            _("Taken %(time)s. Your account name and the time are drawn into the picture, and "
              "every look is on record.") % {"time": progress.full_time(snapshot.taken_at)},
        )

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        # The kind's name, never the probe's English sentence; the verdict below says what to do.
        return format_html(
            '<span data-camera-id="{}" data-camera-field="last_error">{}</span>',
            obj.pk,
            progress.error_label(obj.state.last_error_kind) or "-",
        )

    @admin.display(description=_("verdict"))
    def verdict(self, obj):
        lines = progress.verdict_lines(obj.state) or ["-"]
        return format_html(
            '<div data-camera-id="{}" data-camera-field="verdict">{}</div>',
            obj.pk,
            format_html_join("", "<div>{}</div>", ((line,) for line in lines)),
        )


def _timeline_row(change):
    who = change.by.get_username() if change.by_id else _("the portal's checks")
    return (
        formats.date_format(timezone.localtime(change.at), "SHORT_DATETIME_FORMAT"),
        change.get_source_display(),
        change.get_target_display(),
        who,
        change.reason,
    )


def _percent(value):
    # A no-break space: "100 %" never splits over two lines of a narrow column.
    return "-" if value is None else f"{value:.0f}\u00a0%"


def camera_badge(camera_id, field, value, label, title=""):
    """A status or health badge the page's check progress can find and update
    (static/portal/camera_checks.js): data-camera-id and data-camera-field."""
    return format_html(
        '<span class="badge badge-{}" data-camera-id="{}" data-camera-field="{}" title="{}">'
        "{}</span>",
        COLOURS.get(value, "grey"),
        camera_id,
        field,
        title,
        label,
    )


def check_time(camera_id, value, *, short):
    """The time of a camera's last check, short in the list (the full time as its title)."""
    if value is None:
        return format_html(
            '<time data-camera-id="{}" data-camera-field="last_checked_at" '
            'data-camera-format="{}">-</time>',
            camera_id,
            "short" if short else "full",
        )
    return format_html(
        '<time data-camera-id="{}" data-camera-field="last_checked_at" data-camera-format="{}" '
        'datetime="{}" title="{}">{}</time>',
        camera_id,
        "short" if short else "full",
        value.isoformat(),
        progress.full_time(value),
        progress.short_time(value) if short else progress.full_time(value),
    )


def _with_query(url, **params):
    """`url` with `params` added to (or replacing those of) its query string."""
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), **{k: str(v) for k, v in params.items()}}
    return urlunsplit(parts._replace(query=urlencode(query)))
