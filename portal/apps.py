from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        # Imported here: it imports models, which Django loads after the app configs. Accounts
        # are audited here; every other app declares its audited models in its own ready().
        from portal import auditlog_setup

        auditlog_setup.setup(self)
        # Deploy checks of the public development keys (manage.py check --deploy).
        from portal import checks  # noqa: F401
