"""Readiness plans in the admin: the operator engineers of a province (and national
administrators) edit its plan with its teams and equipment; everyone else who reads the province
reads the plan, read-only."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from facilities import access
from facilities.models import Province
from portal.admin_scope import ScopedAdmin, can, has_scope
from portal.text import CleanTextModelForm
from readiness.models import EquipmentItem, ReadinessPlan, ResponseTeam


class PlanPartInline(admin.TabularInline):
    """Teams and equipment follow their plan's scope: edited by whoever may edit the plan."""

    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, access.VIEW)

    def _may(self, request, action, obj):
        return can(request, action, obj) if obj is not None else has_scope(request, action)

    def has_view_permission(self, request, obj=None):
        return self._may(request, access.VIEW, obj)

    def has_add_permission(self, request, obj=None):
        return self._may(request, access.CONNECT, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, access.CONNECT, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, access.CONNECT, obj)


class ResponseTeamInline(PlanPartInline):
    model = ResponseTeam
    fields = ["name", "leader", "phone", "size"]


class EquipmentItemInline(PlanPartInline):
    model = EquipmentItem
    fields = ["kind", "count"]


class ReadinessPlanForm(CleanTextModelForm):
    confirm_current = forms.BooleanField(
        label=_("I confirm this plan is current"),
        required=False,
        help_text=_("Sets the date of the last review to today, in your name."),
    )

    class Meta:
        model = ReadinessPlan
        fields = ["province", "deploy_hours", "notes"]


def _confirm(plan, user, today):
    plan.last_reviewed_on = today
    plan.reviewed_by = user


@admin.register(ReadinessPlan)
class ReadinessPlanAdmin(ScopedAdmin):
    """Edited with the "connect" scope: the province's operator engineers (facilities/access.py)."""

    form = ReadinessPlanForm
    edit_action = access.CONNECT
    fk_scopes = {"province": (Province, access.CONNECT)}
    inlines = [ResponseTeamInline, EquipmentItemInline]
    list_display = ["province", "operator", "deploy_hours", "last_reviewed_on", "reviewed_by"]
    list_select_related = ["province", "reviewed_by"]
    list_filter = ["province__operator", "province__region"]
    search_fields = ["province__code", "province__search_text__folded_contains"]
    readonly_fields = ["last_reviewed_on", "reviewed_by"]
    actions = ["confirm_current"]

    def get_fields(self, request, obj=None):
        fields = ["province", "deploy_hours", "notes", "last_reviewed_on", "reviewed_by"]
        if self.has_change_permission(request, obj) or (
            obj is None and self.has_add_permission(request)
        ):
            fields.append("confirm_current")
        return fields

    def get_readonly_fields(self, request, obj=None):
        # The province of a saved plan is fixed: a plan moves to no other province.
        if obj is not None:
            return [*self.readonly_fields, "province"]
        return self.readonly_fields

    @admin.display(description=_("operator"), ordering="province__operator")
    def operator(self, plan):
        return plan.province.get_operator_display()

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("confirm_current"):
            _confirm(obj, request.user, timezone.localdate())
        super().save_model(request, obj, form, change)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not has_scope(request, access.CONNECT):
            actions.pop("confirm_current", None)
        return actions

    @admin.action(description=_("Confirm the selected plans are current"))
    def confirm_current(self, request, queryset):
        # Only the plans the user may edit; saved one by one so each review has its audit entry.
        today = timezone.localdate()
        plans = list(queryset.restrict(request.user, access.CONNECT))
        for plan in plans:
            _confirm(plan, request.user, today)
            plan.save(update_fields=["last_reviewed_on", "reviewed_by", "updated_at"])
        self.message_user(
            request,
            ngettext(
                "%(count)d plan confirmed current.",
                "%(count)d plans confirmed current.",
                len(plans),
            )
            % {"count": len(plans)},
            messages.SUCCESS,
        )
