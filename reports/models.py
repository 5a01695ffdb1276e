"""Daily progress snapshots: the registry's counts per province, stored once a day."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facilities import access
from facilities.choices import Operator, Region


class DailySnapshotQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Snapshot rows of the provinces `user` may do `action` on (see facilities/access.py)."""
        return access.restrict(self, user, action, province_field="province_id")


class DailySnapshot(models.Model):
    """The progress of one province on one day, as reported to the Telecommunications Department.

    Counts leave out closed facilities and decommissioned cameras (definitions in
    reports/snapshot.py). The operator and region are copied from the province when the snapshot is
    taken, so that a later change of operator does not rewrite past reports.
    """

    day = models.DateField(_("day"), db_index=True)
    province = models.ForeignKey(
        "facilities.Province",
        # A province with reported history must not vanish with it.
        on_delete=models.PROTECT,
        related_name="daily_snapshots",
        verbose_name=_("province"),
    )
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices)
    region = models.CharField(_("region"), max_length=10, choices=Region.choices)
    facilities = models.PositiveIntegerField(_("facilities"), default=0)
    facilities_connected = models.PositiveIntegerField(_("facilities connected"), default=0)
    cameras_registered = models.PositiveIntegerField(_("cameras registered"), default=0)
    cameras_eligible = models.PositiveIntegerField(_("eligible cameras"), default=0)
    cameras_ineligible = models.PositiveIntegerField(_("ineligible cameras"), default=0)
    cameras_connected = models.PositiveIntegerField(_("connected cameras"), default=0)
    cameras_online = models.PositiveIntegerField(_("online cameras"), default=0)
    cameras_offline = models.PositiveIntegerField(_("offline cameras"), default=0)
    cameras_planned = models.PositiveIntegerField(_("planned cameras"), default=0)
    taken_at = models.DateTimeField(_("taken at"))

    objects = DailySnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "province__code"]
        verbose_name = _("daily snapshot")
        verbose_name_plural = _("daily snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "province"],
                name="%(app_label)s_%(class)s_day_province",
                violation_error_message=_("This province already has a snapshot for this day."),
            ),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.province}"
