"""Cameras of the facilities: where they are, how to reach their stream, and their state."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cameras.fields import EncryptedTextField
from cameras.validators import validate_stream_url
from portal import access


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


class CameraQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW):
        """Cameras `user` may do `action` on, through its facility's province or facility grant."""
        return access.restrict(
            self,
            user,
            action,
            province_field="facility__province_id",
            facility_field="facility_id",
        )


class Camera(models.Model):
    """A surveillance camera of a facility, to be connected to the centralized camera system."""

    facility = models.ForeignKey(
        "facilities.Facility",
        on_delete=models.PROTECT,
        related_name="cameras",
        verbose_name=_("facility"),
    )
    name = models.CharField(_("name"), max_length=200)
    zone = models.CharField(
        _("placement zone"),
        max_length=20,
        choices=Zone.choices,
        help_text=_("Public area the camera watches. Never inside rooms, toilets or bathrooms."),
    )
    stream_url = models.CharField(
        _("stream address"),
        max_length=500,
        validators=[validate_stream_url],
        help_text=_("RTSP address without user name or password, e.g. rtsp://10.0.0.5:554/stream1."),
    )
    # Encrypted at rest (cameras/crypto.py); the column only ever holds ciphertext.
    username = EncryptedTextField(_("user name"), blank=True, default="")
    password = EncryptedTextField(_("password"), blank=True, default="")
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)

    connection_status = models.CharField(
        _("connection status"),
        max_length=20,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.REGISTERED,
    )
    status_reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why the camera is not connected (ineligible, suspended, decommissioned)."),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="connected_cameras",
        verbose_name=_("connected by"),
    )

    health = models.CharField(
        _("health"),
        max_length=10,
        choices=Health.choices,
        default=Health.UNKNOWN,
    )
    last_codec = models.CharField(_("codec"), max_length=20, blank=True)
    last_width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    last_height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    last_fps = models.FloatField(_("frame rate"), null=True, blank=True)
    last_ttff_ms = models.PositiveIntegerField(_("time to first frame (ms)"), null=True, blank=True)
    last_error_kind = models.CharField(_("error kind"), max_length=20, blank=True)
    last_error_message = models.CharField(_("error message"), max_length=300, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    check_enabled = models.BooleanField(
        _("check enabled"),
        default=True,
        help_text=_("Check the stream regularly in the background."),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CameraQuerySet.as_manager()

    class Meta:
        ordering = ["facility__province__code", "facility__name", "name"]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"],
                name="%(app_label)s_%(class)s_facility_name",
                violation_error_message=_("This facility already has a camera with this name."),
            ),
        ]
        indexes = [
            models.Index(fields=["connection_status"], name="cameras_camera_status_idx"),
            models.Index(fields=["health"], name="cameras_camera_health_idx"),
        ]

    def __str__(self):
        return self.name

    def set_connection_status(self, status, *, by=None, reason=None):
        """Record a new connection status with when it changed and, when connected, by whom.

        The caller saves the camera (so the change is audited with the caller's actor).
        """

        now = timezone.now()
        if status != self.connection_status:
            self.status_changed_at = now
            if status == ConnectionStatus.CONNECTED:
                self.connected_at = now
                self.connected_by = by
        self.connection_status = status
        if reason is not None:
            self.status_reason = reason

    @property
    def resolution(self):
        if self.last_width and self.last_height:
            return f"{self.last_width}x{self.last_height}"
        return ""
