"""Choices of the registry, in one place: models, forms and reports import them here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    NORTH = "north", _("North")
    CENTRAL = "central", _("Central")
    SOUTH = "south", _("South")


class Operator(models.TextChoices):
    # The letter assigns Viettel to the northern provinces and VNPT from Da Nang southward.
    VIETTEL = "viettel", _("Viettel")
    VNPT = "vnpt", _("VNPT")


class FacilityKind(models.TextChoices):
    CIVIL = "civil", _("Civil concentrated quarantine")
    MILITARY = "military", _("Military-managed")
    HOTEL = "hotel", _("Paid hotel")
    INDUSTRIAL = "industrial", _("On-site at industrial park")
    HOSPITAL = "hospital", _("Hospital")


class FacilityStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
