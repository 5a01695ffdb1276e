"""Daily progress snapshots (the registry's counts per province, stored once a day) and the
export jobs that build large exports in the background."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities import access
from facilities.choices import Operator, Region
from reports.choices import ExportError, ExportFormat, ExportKind, ExportStatus


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


class ExportJobQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """The jobs of `user`: an export job is its owner's alone, whatever their roles (another
        official sees none of them, not even with the same grants)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class ExportJob(models.Model):
    """An export too large to build in a request, built by a background task for its owner.

    The task computes the rows with the owner's scope (as the page would), writes the file
    encrypted at rest under EXPORT_DIR (portal/sealed_files.py) and counts the rows as it goes;
    only the owner may follow it and download the file, until `expires_at`, when the file is
    deleted (reports/export_jobs.py). Never audited: the request and each download are account
    events, and the job is the owner's private working file.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # A job is its owner's working file: it goes with the account (the account events of
        # the request and the downloads stay, with the user name).
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("export"), max_length=20, choices=ExportKind.choices)
    format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        help_text=_("The export's filters and the language of its headers."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExportStatus.choices,
        default=ExportStatus.QUEUED,
        db_index=True,
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows expected"), default=0)
    file_name = models.CharField(_("file"), max_length=100, blank=True)
    download_name = models.CharField(_("download name"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    error = models.CharField(_("error"), max_length=20, choices=ExportError.choices, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self):
        return f"{self.kind}.{self.format} #{self.pk}"

    def _day(self, key):
        value = self.parameters.get(key)
        return datetime.date.fromisoformat(value) if value else None

    @property
    def start(self):
        """First day of a progress export's range (None for the live exports)."""
        return self._day("start")

    @property
    def end(self):
        return self._day("end")

    @property
    def expired(self):
        return self.status == ExportStatus.EXPIRED or self.expires_at <= timezone.now()

    @property
    def percent_done(self):
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, 100 * self.rows_done // self.rows_total)
