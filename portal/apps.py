from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        # After every app's models are loaded: the audit registers models of other apps.
        from portal import auditlog_setup

        auditlog_setup.setup(self)
        # Deploy checks of the public development keys (manage.py check --deploy).
        from portal import checks  # noqa: F401
