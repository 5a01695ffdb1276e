from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        _create_sqlite_directories()
        # Imported here: it imports models, which Django loads after the app configs. Accounts
        # are audited here; every other app declares its audited models in its own ready().
        from portal import auditlog_setup

        auditlog_setup.setup(self)
        # Deploy checks of the public development keys (manage.py check --deploy), the
        # session's renewal stamp set at sign-in and the second factor asked after the
        # password (signal receivers).
        from portal import checks, sessions, twofactor_gate  # noqa: F401


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (titles, third-party pages) as the default.

    Named in INSTALLED_APPS; `default = False` and the module import (not the class) keep Django
    from taking it, or AdminConfig, for the portal app's own configuration.
    """

    default = False
    default_site = "portal.admin_scope.PortalAdminSite"


def _create_sqlite_directories():
    """SQLite creates its database file but not the directory it goes in (DATA_DIR by default).

    Here, before any connection, rather than at settings import: reading the settings has no
    side effect.
    """
    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
                if name:
                    Path(name).parent.mkdir(parents=True, exist_ok=True)
