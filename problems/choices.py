"""The keys of a problem report: what it is about and where it stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemCategory(models.TextChoices):
    CONNECTION_STANDARD = "connection_standard", _("Connection standard")
    EQUIPMENT = "equipment", _("Equipment")
    NETWORK = "network", _("Network")
    CREDENTIALS = "credentials", _("Credentials")
    ACCESS_RIGHTS = "access_rights", _("Access rights")
    OTHER = "other", _("Other")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Reports still waiting on someone: the dashboards count these per province.
UNSETTLED = (ProblemStatus.OPEN, ProblemStatus.ANSWERED)
