"""The audit record in the admin: read-only for every account, scoped like everything else.

Replaces auditlog's stock LogEntry admin (which any staff account with the model permission could
read in full, with bulk delete) and adds the account events.
"""

import datetime
import json

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from facilities import access, audit_scope
from facilities.models import Province
from facilities.roles import NATIONAL_OFFICIALS_GROUP, check_new_username
from portal import admin_scope, twofactor
from portal.models import AccountEvent
from portal.permission_names import permission_choice
from portal.text import CleanTextMixin, CleanTextModelForm


class ReadOnlyAuditAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes a record here, superusers included.

    Hundreds of thousands of rows: the list counts only as far as its pages go
    (CappedPaginator), never the whole record a second time (show_full_result_count).
    """

    actions = None
    show_full_result_count = False
    list_per_page = 50

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return admin_scope.CappedPaginator.for_request(
            request, queryset, per_page, orphans, allow_empty_first_page
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_read(self, request):
        # audit_scope.may_read, with the province-admin question asked once per request for the
        # whole admin: MANAGE and CHANGE are the same grant (manage_province), CHANGE is the one
        # the registry admins already ask (portal/admin_scope.py).
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return access.is_national_viewer(user) or admin_scope.has_scope(request, access.CHANGE)

    def has_view_permission(self, request, obj=None):
        # Objects come from get_queryset, which is scoped: another province's entry is a 404.
        return self._may_read(request)

    def has_module_permission(self, request):
        return self._may_read(request)

    @admin.display(description=_("time"), ordering="timestamp")
    def when(self, obj):
        return formats.localize(timezone.localtime(obj.timestamp))


class ProvinceFilter(admin.SimpleListFilter):
    title = _("province")
    parameter_name = "province"
    lookup = "province_id"

    def lookups(self, request, model_admin):
        # National readers see every province's entries; a province admin, its own provinces.
        action = access.VIEW if access.is_national_viewer(request.user) else access.MANAGE
        provinces = Province.objects.restrict(request.user, action)
        return [(str(p.pk), str(p)) for p in provinces.order_by("code")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(**{self.lookup: int(value)})
        except ValueError:
            return queryset.none()


class EntryProvinceFilter(ProvinceFilter):
    lookup = "province_ref"


class ActorFilter(admin.ListFilter):
    """The actor by user name, typed (exact, whatever the case: names are unique regardless of
    case), rather than a list of the actors.

    The list was the accounts acting in the reader's part of the record: a DISTINCT over every
    entry of it on each page view (a province's 150,000 entries, issue 13), and thousands of
    accounts long at national scale. The search box finds a name among the rest of the text.
    """

    title = _("actor")
    parameter_name = "actor"
    template = "admin/portal/text_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        if self.parameter_name in params:
            value = params.pop(self.parameter_name)
            self.used_parameters[self.parameter_name] = (
                value[-1] if isinstance(value, list) else value
            )

    def value(self):
        return (self.used_parameters.get(self.parameter_name) or "").strip()

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def queryset(self, request, queryset):
        name = self.value()
        if not name:
            return queryset
        return queryset.filter(actor__username__iexact=name)

    def choices(self, changelist):
        # One "choice" for the template: the typed name, the page's other parameters (kept as
        # hidden fields of the filter's form) and the link that drops the filter.
        yield {
            "value": self.value(),
            "parameter_name": self.parameter_name,
            "hidden": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name != self.parameter_name
                for value in values
            ],
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class ObjectTypeFilter(admin.SimpleListFilter):
    """The audited models (a fixed list: no scan of the log to find its types)."""

    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = ContentType.objects.get_for_models(*auditlog.get_models())
        return sorted(
            ((str(ct.pk), capfirst(model._meta.verbose_name)) for model, ct in types.items()),
            key=lambda item: str(item[1]),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(content_type_id=int(value))
        except ValueError:
            return queryset.none()


def _province_name():
    # The name of the province of an entry the reader's scope already admitted (annotated on the
    # scoped list); province names are public reference data, so no second scope is needed.
    return Subquery(Province.objects.filter(pk=OuterRef("province_ref")).values("name")[:1])


def _display_value(field, value):
    if value is None or value == "None":
        return "—"
    if field is None:
        return value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.get_internal_type() == "DateTimeField":
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(moment):
            # auditlog stores date-times in UTC without their zone.
            moment = moment.replace(tzinfo=datetime.UTC)
        return formats.localize(timezone.localtime(moment))
    return value


def changes_table(entry):
    """The entry's changes as a table of field, before and after, with display values."""
    changes = entry.changes_dict or {}
    if not changes:
        return "—"
    model = entry.content_type.model_class()
    rows = []
    for name, change in sorted(changes.items()):
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            field = None
        label = capfirst(getattr(field, "verbose_name", name))
        if isinstance(change, dict) and change.get("type") == "m2m":
            operation = _("added") if change.get("operation") == "add" else _("removed")
            rows.append((label, operation, ", ".join(map(str, change.get("objects", [])))))
            continue
        before, after = (list(change) + [None, None])[:2]
        rows.append((label, _display_value(field, before), _display_value(field, after)))
    header = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th></tr>", _("field"), _("before"), _("after")
    )
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html("<table>{}{}</table>", header, body)


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAuditAdmin):
    list_display = [
        "when",
        "action",
        "object_type",
        "object_repr",
        "changed_fields",
        "actor_name",
        "remote_addr",
        "province_name",
        "cid",
    ]
    list_display_links = ["when"]
    list_select_related = ["content_type", "actor"]
    list_filter = [
        "action",
        ObjectTypeFilter,
        EntryProvinceFilter,
        ActorFilter,
        ("timestamp", admin.DateFieldListFilter),
    ]
    search_fields = ["object_repr", "actor__username", "=cid", "remote_addr", "changes"]
    fields = [
        "when",
        "actor_name",
        "action",
        "object_type",
        "object_repr",
        "object_pk",
        "changes_detail",
        "remote_addr",
        "province_name",
        "cid",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        entries = audit_scope.visible_log_entries(request.user, super().get_queryset(request))
        return entries.annotate(province_name=_province_name())

    @admin.display(description=_("object type"), ordering="content_type__model")
    def object_type(self, obj):
        model = obj.content_type.model_class()
        return capfirst(model._meta.verbose_name) if model else obj.content_type.model

    @admin.display(description=_("changed fields"))
    def changed_fields(self, obj):
        if obj.action != LogEntry.Action.UPDATE:
            return "—"
        model = obj.content_type.model_class()
        names = []
        for name in sorted(obj.changes_dict or {}):
            try:
                names.append(str(model._meta.get_field(name).verbose_name))
            except (AttributeError, FieldDoesNotExist):
                names.append(name)
        return ", ".join(names) or "—"

    @admin.display(description=_("changes"))
    def changes_detail(self, obj):
        return changes_table(obj)

    @admin.display(description=_("actor"), ordering="actor__username")
    def actor_name(self, obj):
        if obj.actor_id is None:
            return "—"
        return obj.actor.get_username()

    @admin.display(description=_("province"))
    def province_name(self, obj):
        return obj.province_name or "—"


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAuditAdmin):
    list_display = [
        "when",
        "event",
        "username",
        "account",
        "remote_addr",
        "object_repr",
        "province",
        "request_id",
    ]
    list_display_links = ["when"]
    list_select_related = ["account", "province"]
    list_filter = [
        "event",
        ProvinceFilter,
        ActorFilter,
        ("timestamp", admin.DateFieldListFilter),
    ]
    search_fields = [
        "username",
        "actor__username",
        "account__username",
        "object_repr",
        "remote_addr",
        "=request_id",
        "user_agent",
    ]
    fields = [
        "when",
        "event",
        "actor",
        "username",
        "account",
        "remote_addr",
        "user_agent",
        "request_id",
        "content_type",
        "object_id",
        "object_repr",
        "province",
        "detail_text",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return audit_scope.visible_account_events(request.user, super().get_queryset(request))

    @admin.display(description=_("detail"))
    def detail_text(self, obj):
        if not obj.detail:
            return "—"
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.detail, ensure_ascii=False, indent=2, sort_keys=True)
        )


# --- Accounts: the user admin's forms check names and text like every other form ---------------


class AccountCreationForm(CleanTextMixin, AdminUserCreationForm):
    """Django's add-user form with the portal's account-name rule (facilities/roles.py)."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username:
            check_new_username(username)
        return username


class AccountChangeForm(CleanTextMixin, UserChangeForm):
    """Django's change-user form; a new name follows the rule, an existing one is left alone."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and username != self.instance.get_username():
            check_new_username(username, instance=self.instance)
        return username


User = get_user_model()
for _model in (User, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _family_name_first(names):
    """`names` with last_name (Họ) where first_name (Tên) was and first_name after it: the
    Vietnamese order of a name (portal/people.py)."""
    names = list(names)
    if "first_name" in names and "last_name" in names:
        first, last = names.index("first_name"), names.index("last_name")
        names[first], names[last] = names[last], names[first]
    return names


# Groups the portal creates, by their stored name (the key code finds them by), in the reader's
# language.
GROUP_LABELS = {NATIONAL_OFFICIALS_GROUP: _("National officials")}


def group_label(group):
    return str(GROUP_LABELS.get(group.name, group.name))


class GroupFilter(admin.RelatedFieldListFilter):
    """The user list's group filter, with the groups' translated names."""

    def field_choices(self, field, request, model_admin):
        return [(group.pk, group_label(group)) for group in Group.objects.order_by("name")]


def _translated_choices(formfield, db_field):
    """Permissions and groups listed in the reader's language (their stored names are English)."""
    if db_field.name in ("permissions", "user_permissions"):
        formfield.label_from_instance = permission_choice
    elif db_field.name == "groups":
        formfield.label_from_instance = group_label
    return formfield


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts (national administrators only: NationalAdminOnly), with their two-factor
    sign-in: its state on the account's page, and a reset for a lost phone."""

    add_form = AccountCreationForm
    form = AccountChangeForm
    change_form_template = "admin/portal/account_change_form.html"
    list_display = _family_name_first(UserAdmin.list_display)
    fieldsets = [
        (title, {**options, "fields": _family_name_first(options["fields"])})
        for title, options in UserAdmin.fieldsets
    ] + [(_("Two-factor sign-in"), {"fields": ["second_factor"]})]
    readonly_fields = ["second_factor"]
    list_filter = ["is_staff", "is_superuser", "is_active", ("groups", GroupFilter)]

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _translated_choices(formfield, db_field)

    @admin.display(description=_("two-factor sign-in"))
    def second_factor(self, obj):
        device = twofactor.app_of(obj) if obj.pk else None
        if device is None:
            return gettext("Not set up")
        left = twofactor.recovery_codes_left(obj)
        return ngettext(
            "Authenticator app set up on %(date)s; %(left)d recovery code left",
            "Authenticator app set up on %(date)s; %(left)d recovery codes left",
            left,
        ) % {"date": formats.date_format(timezone.localtime(device.created_at)), "left": left}

    def get_urls(self):
        return [
            path(
                "<int:user_id>/reset-second-factor/",
                self.admin_site.admin_view(self.reset_second_factor_view),
                name="auth_user_reset_second_factor",
            ),
            *super().get_urls(),
        ]

    def reset_second_factor_view(self, request, user_id):
        """Confirm, then remove the account's authenticator app and recovery codes and end its
        sessions (portal/twofactor.py `reset`); an account event names who did it."""
        if not access.is_national_admin(request.user):
            raise PermissionDenied
        account = get_object_or_404(User, pk=user_id)
        change_url = reverse("admin:auth_user_change", args=[account.pk])
        if request.method == "POST":
            twofactor.reset(account, request)
            if account.pk == request.user.pk:
                # Its own sessions ended with the others: sign in again and set up the new app.
                logout(request)
                return redirect("login")
            self.message_user(
                request,
                gettext(
                    "The two-factor sign-in of %(name)s was reset: the account sets up a new "
                    "authenticator app at its next sign-in, and its open sessions were ended."
                )
                % {"name": account.get_username()},
                messages.SUCCESS,
            )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reset two-factor sign-in"),
            "account": account,
            "has_second_factor": twofactor.has_second_factor(account),
            "opts": self.opts,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/portal/reset_second_factor.html", context)


@admin.register(Group)
class AccountGroupAdmin(GroupAdmin):
    form = CleanTextModelForm
    list_display = ["name_shown"]

    @admin.display(description=_("name"), ordering="name")
    def name_shown(self, obj):
        return group_label(obj)

    def action_checkbox(self, obj):
        # Django's row checkbox, read out by screen readers with the group's translated name
        # (Django's own names the row by str(group), the stored English name).
        name = format_html(gettext("Select this object for an action - {}"), group_label(obj))
        attrs = {"class": "action-select", "aria-label": name}
        checkbox = forms.CheckboxInput(attrs, check_test=lambda value: False)
        return checkbox.render(admin.helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _translated_choices(formfield, db_field)
