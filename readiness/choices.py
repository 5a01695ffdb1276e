"""Choices of the readiness plans, in one place: models, pages and exports import them here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EquipmentKind(models.TextChoices):
    CAMERAS = "cameras", _("Cameras")
    RECORDERS = "recorders", _("Recorders")
    NETWORK_KITS = "network_kits", _("Network kits")
    OTHER = "other", _("Other equipment")


class Readiness(models.TextChoices):
    """Where a province's plan stands on a given day (readiness/status.py decides)."""

    READY = "ready", _("Ready")
    NO_PLAN = "no_plan", _("No plan")
    NOT_REVIEWED = "not_reviewed", _("Not reviewed recently")
