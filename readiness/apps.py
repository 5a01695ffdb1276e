from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ReadinessConfig(AppConfig):
    name = "readiness"
    verbose_name = _("Readiness plans")

    def ready(self):
        # Imported here: they import models, which Django loads after app configs.
        from portal import auditlog_setup

        # Every change of a plan, its teams and its equipment, with its actor; the rows carry
        # their province, so each province reads its own entries.
        auditlog_setup.register(self.get_model("ReadinessPlan"), exclude=["updated_at"])
        auditlog_setup.register(self.get_model("ResponseTeam"))
        auditlog_setup.register(self.get_model("EquipmentItem"))
        # The dashboards' column: provinces without a plan or with one not reviewed recently.
        if settings.READINESS_DASHBOARD_COUNTER:
            register_counter()


COUNTER_KEY = "provinces_not_ready"


def register_counter():
    """Add the "Provinces not ready" column to the dashboards (reports never imports us)."""
    from readiness import status
    from reports import counters

    counters.register(COUNTER_KEY, _("Provinces not ready"), status.not_ready_counts, order=30)
