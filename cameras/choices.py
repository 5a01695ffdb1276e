"""Choices of the cameras app, in one place (NetBox style): models, forms and reports use them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Zone(models.TextChoices):
    """Public areas the guidance allows a camera to watch: never inside rooms, toilets or baths."""

    CORRIDOR = "corridor", _("Corridor outside rooms")
    FLOOR_LOBBY = "floor_lobby", _("Floor lobby")
    YARD = "yard", _("Yard")
    SAMPLING = "sampling", _("Sampling area")
    RECEPTION = "reception", _("Reception area")
    MEDICAL_CHECK = "medical_check", _("Medical check area")
    SUPPLY_RECEIVING = "supply_receiving", _("Supply receiving area")
    OUTSIDE_BATHROOM = "outside_bathroom", _("Outside shared bathrooms")
    GATE = "gate", _("Gate")
    OTHER_PUBLIC = "other_public", _("Other public area")


class PictureWarning(models.TextChoices):
    """What the automatic checks of a snapshot found (cameras/picture.py, same codes).

    A warning asks a person to look at the camera; it changes no eligibility by itself.
    """

    BLACK = "black", _("The picture is black: check the lens and the lighting")
    UNIFORM = "uniform", _(
        "The picture is one colour: the lens may be covered or too close to a wall"
    )
    NOISY = "noisy", _("The picture is only noise: check the camera's sensor and its cable")
    BLURRY = "blurry", _("The picture is blurred: clean the lens or adjust the focus")
    FROZEN = "frozen", _("The picture does not change: the camera may be frozen, restart it")


class PlacementDecision(models.TextChoices):
    """A person's review of where a camera looks, from its picture (cameras/placement.py)."""

    APPROVED = "approved", _("Placement approved")
    REJECTED = "rejected", _("Placement rejected")


class PlacementState(models.TextChoices):
    """A camera's latest placement review, kept on the camera so dashboards count it cheaply."""

    NOT_REVIEWED = "not_reviewed", _("Not reviewed")
    APPROVED = "approved", _("Placement approved")
    REJECTED = "rejected", _("Placement rejected")


class PlacementRejection(models.TextChoices):
    """Why a placement is rejected: the national guidance's cases."""

    INSIDE_ROOM = "inside_room", _("Looks inside a room")
    BATHROOM = "bathroom", _("Looks into a toilet or bathroom")
    WRONG_ZONE = "wrong_zone", _("Not the zone it is registered for")
    OBSTRUCTED = "obstructed", _("The view is obstructed")
    OTHER = "other", _("Other (explain)")


class ConnectionStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    CONNECTED = "connected", _("Connected")
    SUSPENDED = "suspended", _("Suspended")
    DECOMMISSIONED = "decommissioned", _("Decommissioned")


class Health(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    ONLINE = "online", _("Online")
    DEGRADED = "degraded", _("Degraded")
    OFFLINE = "offline", _("Offline")


class Codec(models.TextChoices):
    """Video codecs by the names FFmpeg gives them (what a probe reports)."""

    H264 = "h264", _("H.264")
    HEVC = "hevc", _("H.265 (HEVC)")
    MJPEG = "mjpeg", _("Motion JPEG")
    MPEG4 = "mpeg4", _("MPEG-4 Part 2")


class SweepTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    COMMAND = "command", _("Command")
    REQUEST = "request", _("On request")


class ErrorKind(models.TextChoices):
    """Why a check failed, as a machine key (cameras/probe.py's ERROR_KINDS, and "denied" when
    the address was refused before probing), stored with the camera and named here in the
    reader's language. The probe's own English sentence stays in the logs."""

    UNAUTHORIZED = "unauthorized", _("Wrong user name or password")
    FORBIDDEN = "forbidden", _("Access to the stream refused")
    NOT_FOUND = "not_found", _("No stream at this path")
    BUSY = "busy", _("Camera busy (viewer limit reached)")
    SERVER_ERROR = "server_error", _("Camera reported an internal error")
    REFUSED = "refused", _("Connection refused")
    DNS = "dns", _("Host name not found")
    TIMEOUT = "timeout", _("No answer in time")
    NO_VIDEO = "no_video", _("No video received")
    REDIRECT = "redirect", _("Redirected to another address")
    INVALID = "invalid", _("Not a readable RTSP stream")
    DENIED = "denied", _("Address not allowed")
