from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # After every migrate (and every test-database flush), so a fresh installation has the
        # daily schedule without a manual step; the function is idempotent.
        post_migrate.connect(_ensure_schedule, sender=self, dispatch_uid="reports.ensure_schedule")


def _ensure_schedule(sender, using="default", **kwargs):
    from reports.schedule import ensure_snapshot_schedule

    ensure_snapshot_schedule(using=using)
