from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem reports")

    def ready(self):
        # Imported here: these modules import models, which Django loads after the app configs.
        from django.db.models.signals import post_delete

        from portal import auditlog_setup
        from problems import attachments, queries
        from reports import counters

        auditlog_setup.register(self.get_model("ProblemReport"), exclude=["updated_at"])
        auditlog_setup.register(self.get_model("ProblemReply"))
        auditlog_setup.register(self.get_model("ProblemAttachment"))
        post_delete.connect(
            attachments.remove_file,
            sender=self.get_model("ProblemAttachment"),
            dispatch_uid="problems.attachment_file",
        )
        counters.register("open_problems", _("Open problem reports"), queries.open_counts, order=10)
