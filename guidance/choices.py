from django.db import models
from django.utils.translation import gettext_lazy as _


class GuidanceKind(models.TextChoices):
    """The national documents every person involved with the cameras must have read."""

    GUIDANCE = "guidance", _("Guidance on managing and using the camera system")
    CONNECTION_STANDARD = "connection_standard", _("Connection standard")
    PLACEMENT_ZONES = "placement_zones", _("Placement zones")
    PORTAL_USE = "portal_use", _("How to use the portal")
