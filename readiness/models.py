"""Readiness plans of the operators: people and equipment held ready, per province, to install and
connect cameras in new outbreak areas on the national steering committee's request.

Each province has one serving operator (Province.operator): its plan is that operator's, kept by
the operator engineers granted on the province (Role.OPERATOR, the "connect" action of
facilities/access.py) and by national administrators; everyone else who reads the province reads
its plan.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from facilities import access
from facilities.models import Province, phone_validator
from readiness.choices import EquipmentKind


class ReadinessPlanQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Plans of the provinces `user` may do `action` on (facility grants open none)."""
        return access.restrict(self, user, action, province_field="province_id")


class UnderPlanQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Rows of the plans of the provinces `user` may do `action` on."""
        return access.restrict(self, user, action, province_field="province_id")


class ReadinessPlan(models.Model):
    """One province's plan: its response teams, equipment on hand and time to deploy."""

    province = models.OneToOneField(
        Province,
        on_delete=models.PROTECT,
        related_name="readiness_plan",
        verbose_name=_("province"),
    )
    deploy_hours = models.PositiveSmallIntegerField(
        _("time to deploy (hours)"),
        validators=[MinValueValidator(1)],
        help_text=_("Hours from the steering committee's request to cameras installed on site."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set only when an engineer confirms the plan is current (readiness/admin.py), not on every
    # save: a plan edited for a phone number is not thereby reviewed as a whole.
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ReadinessPlanQuerySet.as_manager()

    class Meta:
        ordering = ["province__code"]
        verbose_name = _("readiness plan")
        verbose_name_plural = _("readiness plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deploy_hours__gte=1),
                name="%(app_label)s_%(class)s_deploy_hours_positive",
                violation_error_message=_("The time to deploy is at least one hour."),
            ),
        ]

    def __str__(self):
        # Kept in the audit record as written: in the portal's language (Vietnamese), whatever
        # the editor's, as the other models' names are data, not interface text.
        with translation.override(settings.LANGUAGE_CODE):
            return str(_("Readiness plan of %(province)s") % {"province": self.province.name})


class PlanPart(models.Model):
    """A row of a plan. It carries its plan's province too (copied on save), so the audit trail
    scopes its entries to the province (facilities/audit_scope.py) and the scope rule applies
    to it directly."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = UnderPlanQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.province_id = self.plan.province_id
        super().save(*args, **kwargs)


class ResponseTeam(PlanPart):
    """A team the operator sends to install and connect cameras in a new area."""

    plan = models.ForeignKey(
        ReadinessPlan, on_delete=models.CASCADE, related_name="teams", verbose_name=_("plan")
    )
    name = models.CharField(_("team name"), max_length=200)
    leader = models.CharField(_("team leader"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, validators=[phone_validator])
    size = models.PositiveSmallIntegerField(_("people"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["plan", "name"]
        verbose_name = _("response team")
        verbose_name_plural = _("response teams")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "name"],
                name="%(app_label)s_%(class)s_plan_name",
                violation_error_message=_("This plan already has a team with this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(size__gte=1),
                name="%(app_label)s_%(class)s_size_positive",
                violation_error_message=_("A team has at least one person."),
            ),
        ]

    def __str__(self):
        return self.name


class EquipmentItem(PlanPart):
    """Equipment of one kind the operator holds ready for the province."""

    plan = models.ForeignKey(
        ReadinessPlan, on_delete=models.CASCADE, related_name="equipment", verbose_name=_("plan")
    )
    kind = models.CharField(_("equipment kind"), max_length=20, choices=EquipmentKind.choices)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        ordering = ["plan", "kind"]
        verbose_name = _("equipment on hand")
        verbose_name_plural = _("equipment on hand")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind"],
                name="%(app_label)s_%(class)s_plan_kind",
                violation_error_message=_("This plan already lists this kind of equipment."),
            ),
        ]

    def __str__(self):
        with translation.override(settings.LANGUAGE_CODE):
            return f"{self.get_kind_display()}: {self.count}"
