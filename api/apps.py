from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The operator API (README, "Operator API"): a face over every app; nothing imports it."""

    name = "api"
    verbose_name = _("Operator API")

    def ready(self):
        # Registers the schema's description of our authentication classes.
        from api import schema  # noqa: F401
