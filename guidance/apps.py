from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuidanceConfig(AppConfig):
    name = "guidance"
    verbose_name = _("Guidance")

    def ready(self):
        # Imported here: they import models, which Django loads after the app configs.
        from django.contrib.auth.signals import user_logged_in

        from guidance import gate
        from portal import auditlog_setup

        auditlog_setup.register(self.get_model("GuidanceDocument"))
        auditlog_setup.register(self.get_model("Acknowledgement"))
        user_logged_in.connect(
            gate.password_accepted, dispatch_uid="guidance.gate.password_accepted"
        )
