"""Cameras of the facilities: where they are, how to reach their stream, and their state.

A camera is two rows: `Camera`, the registry people edit (and the audit log watches), and its
`CameraState`, what the portal's checks write every few minutes (health, the last probe's
facts, the verdict, the sweep's bookkeeping). Keeping them apart means a check never rewrites the
registry row, never moves its `updated_at` and never has to be told apart from a person's edit.
"""

from django.conf import settings
from django.db import IntegrityError, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cameras import queue
from cameras.choices import (
    Codec,
    ConnectionStatus,
    Health,
    PictureWarning,
    PlacementDecision,
    PlacementRejection,
    PlacementState,
    SweepTrigger,
    Zone,
)
from cameras.validators import authority, validate_stream_url
from facilities import access
from facilities.models import Facility
from portal.fields import EncryptedTextField
from portal.search import SearchTextField

# Statuses whose reason is kept while they last: it says why the camera is not connected.
REASON_STATUSES = frozenset(
    {ConnectionStatus.INELIGIBLE, ConnectionStatus.SUSPENDED, ConnectionStatus.DECOMMISSIONED}
)


class CameraQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Create cameras and, as save() does, their check states (first verdict pending).

        Every camera has a state: readers follow `camera.state` without asking whether it
        exists. One more INSERT per batch, not one per camera.
        """
        cameras = super().bulk_create(objs, *args, **kwargs)
        CameraState.objects.using(self.db).bulk_create(
            [CameraState(camera=camera) for camera in cameras],
            batch_size=kwargs.get("batch_size"),
        )
        return cameras

    def restrict(self, user, action=access.VIEW):
        """Cameras `user` may do `action` on: those of the facilities it may do `action` on
        (through the facility's province grant or a grant on the facility itself)."""
        facilities = Facility.objects.restrict(user, action)
        return access.restrict_under(self, user, action, "facility", facilities)

    def restrict_pictures(self, user):
        """Cameras whose pictures (snapshots) `user` may see: among those it may read, only by
        the roles of facilities/access.py's `restrict_pictures`."""
        return access.restrict_pictures(
            self.restrict(user, access.VIEW),
            user,
            province_field="facility__province_id",
            facility_field="facility_id",
        )


class Camera(models.Model):
    """A surveillance camera of a facility, to be connected to the centralized camera system.

    The registry row: what people enter and the connection lifecycle decides. What the checks
    find is in `state` (CameraState), so `updated_at` means that a person or the lifecycle
    changed this camera (or the portal stopped its checks), never that it was merely checked:
    the API's `updated_since` relies on it. Saves limited to some fields list `updated_at`.
    """

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
    # Encrypted at rest (portal/crypto.py); the column only ever holds ciphertext.
    username = EncryptedTextField(_("user name"), blank=True, default="")
    password = EncryptedTextField(_("password"), blank=True, default="")
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    # "cong chinh" finds "Cổng chính" (portal/search.py); the address too ("10.0.0.5"), and
    # the facility's text, copied here so that one indexed column answers a search
    # ("cong chinh hoi an"); kept up to date when the facility is saved (cameras/apps.py).
    search_text = SearchTextField(
        sources=["name", "vendor", "model", "stream_url", "facility.search_text"]
    )

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

    check_enabled = models.BooleanField(
        _("check enabled"),
        default=True,
        help_text=_("Check the stream regularly in the background."),
    )
    # Set (with check_enabled off) when the portal stopped checking the camera by itself: an
    # audited change of the registry, cleared by a new address or credentials or a reinstatement.
    check_disabled_reason = models.CharField(
        _("why checks stopped"),
        max_length=300,
        blank=True,
        help_text=_("Set when the portal stopped checking this camera by itself."),
    )

    # The camera's id in the central camera system of the operator serving its province, as
    # that system reported it (POST /api/v1/connections/). Empty (NULL) until reported. Unique
    # among the cameras of one operator's provinces, checked when reported (api/results.py):
    # Viettel's and VNPT's systems number their cameras independently.
    # Its latest placement review (cameras/placement.py); while rejected, the checks do not make
    # it eligible again, until a newer picture is approved.
    placement_review = models.CharField(
        _("placement review"),
        max_length=12,
        choices=PlacementState.choices,
        default=PlacementState.NOT_REVIEWED,
        editable=False,
    )
    central_id = models.CharField(
        _("central system id"),
        max_length=100,
        null=True,
        blank=True,
        help_text=_("The camera's id in the operator's central camera system, as it reported it."),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CameraQuerySet.as_manager()

    # What a check depends on: a change of any of these asks for a new check and verdict.
    CHECK_CONFIG_FIELDS = ("stream_url", "username", "password")
    # Set by save() when it dropped the credentials of an address that moved to another host.
    credentials_dropped = False

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
            # With the facility: "which facilities have a connected camera" (the dashboard, the
            # facility lists, the blockers) reads the index alone, not 40,000 camera rows
            # (34 -> 6 ms a query at 100,000 cameras on SQLite, issue 13).
            models.Index(
                fields=["connection_status", "facility"], name="cameras_camera_status_fac_idx"
            ),
            # The API's cursor: cameras in (updated_at, id) order, a page after a position.
            models.Index(fields=["updated_at", "id"], name="cameras_camera_updated_idx"),
            models.Index(fields=["central_id"], name="cameras_camera_central_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Save; a new camera, or a new address or credentials, queues a check after commit.

        A new camera gets its check state in the same transaction; a new address or credentials
        start its checks over (STATE_OF_A_NEW_STREAM).
        """
        update_fields = kwargs.get("update_fields")
        if self._drop_credentials_of_moved_address():
            if update_fields is not None:
                kwargs["update_fields"] = update_fields = {*update_fields, "username", "password"}
        adding = self._state.adding
        changed = self._check_config_changed(adding, update_fields)
        if changed:
            if self.check_disabled_reason:
                # Checks the portal stopped by itself get a new chance with a new address.
                self.check_enabled = True
                self.check_disabled_reason = ""
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    "check_enabled",
                    "check_disabled_reason",
                }
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if adding:
            # Never a camera without its state. (No savepoint: a failed INSERT dooms the
            # enclosing transaction anyway, as in any save.)
            with transaction.atomic(using=using, savepoint=False):
                super().save(*args, **kwargs)
                self.state = CameraState.objects.using(using).create(camera=self)
        else:
            super().save(*args, **kwargs)
            if changed:
                self.write_state(**STATE_OF_A_NEW_STREAM)
        self._check_config = self._current_check_config()
        self._loaded_status = self.connection_status
        if changed and self.check_enabled:
            queue.request_check_on_commit(self.pk, using=using)

    def write_state(self, **values):
        """Write `values` to this camera's check state in one UPDATE, as the checks write it
        (no audit entry, `updated_at` unchanged); a state already loaded follows."""
        CameraState.objects.using(self._state.db).filter(camera_id=self.pk).update(**values)
        if Camera.state.is_cached(self):
            for name, value in values.items():
                setattr(self.state, name, value)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._check_config = instance._current_check_config()
        # What cameras.lifecycle.guard compares a save against (None when not loaded).
        instance._loaded_status = instance.__dict__.get("connection_status")
        return instance

    def _drop_credentials_of_moved_address(self):
        """Credentials belong to an address: a new scheme, host or port drops them, unless new
        ones come in the same save (whatever the path: form, import, API, shell).

        Otherwise anyone who may edit the address could point it at a server of their own and
        receive the stored user name and password with the next check.
        """
        loaded = getattr(self, "_check_config", None)
        if self._state.adding or loaded is None:
            return False
        old_url, old_username, old_password = loaded
        if authority(old_url) == authority(self.stream_url):
            return False
        if (self.username, self.password) != (old_username, old_password):
            return False  # new credentials typed with the new address
        if not (self.username or self.password):
            return False
        self.username = self.password = ""
        self.credentials_dropped = True
        return True

    def _current_check_config(self):
        deferred = self.get_deferred_fields()
        if any(name in deferred for name in self.CHECK_CONFIG_FIELDS):
            return None
        return tuple(getattr(self, name) for name in self.CHECK_CONFIG_FIELDS)

    def _check_config_changed(self, adding, update_fields):
        if adding:
            return True
        loaded = getattr(self, "_check_config", None)
        if loaded is None:
            return update_fields is None or bool(set(update_fields) & set(self.CHECK_CONFIG_FIELDS))
        return loaded != self._current_check_config()

    @property
    def not_connected_reason(self):
        """The reason shown beside the status: only while it explains why it is not connected."""
        return self.status_reason if self.connection_status in REASON_STATUSES else ""


class CameraState(models.Model):
    """What the portal's checks last found about a camera, and the sweep's bookkeeping of it.

    Health, the facts of the last probe, the verdict against the connection standard, the lease
    of the batch checking it, its schedule and crash counter. Written by the checks every few
    minutes, a whole batch in a few statements (cameras/health.py): never audited, and never a
    change of the camera itself. Every camera has exactly one, created with it.
    """

    camera = models.OneToOneField(
        Camera,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="state",
        verbose_name=_("camera"),
    )
    # Health (cameras/health.py): online, degraded, offline after consecutive failures.
    health = models.CharField(
        _("health"),
        max_length=10,
        choices=Health.choices,
        default=Health.UNKNOWN,
    )
    health_changed_at = models.DateTimeField(_("health changed at"), null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(
        _("consecutive failed checks"), default=0
    )
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    last_ok_at = models.DateTimeField(_("last seen online at"), null=True, blank=True)

    # What the stream showed at its last good probe (kept through failures), and the last error.
    last_codec = models.CharField(_("codec"), max_length=20, blank=True)
    last_width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    last_height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    last_fps = models.FloatField(_("frame rate"), null=True, blank=True)
    last_ttff_ms = models.PositiveIntegerField(_("time to first frame (ms)"), null=True, blank=True)
    last_keyframe_interval_s = models.FloatField(
        _("keyframe interval (s)"), null=True, blank=True
    )
    last_bitrate_kbps = models.FloatField(_("bit rate (kbit/s)"), null=True, blank=True)
    last_error_kind = models.CharField(_("error kind"), max_length=20, blank=True)
    last_error_message = models.CharField(_("error message"), max_length=300, blank=True)

    # The verdict of the last check against the connection standard (cameras/standard.py).
    # Reasons are stored as codes with their figures and rendered in the reader's language.
    verdict_eligible = models.BooleanField(_("meets the standard"), null=True, blank=True)
    verdict_reasons = models.JSONField(_("reasons"), default=list, blank=True)
    verdict_standard = models.ForeignKey(
        "cameras.ConnectionStandard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verdicts",
        verbose_name=_("standard version"),
    )
    verdict_at = models.DateTimeField(_("judged at"), null=True, blank=True)
    # Set while the camera is new or its address or credentials changed (or it was reinstated):
    # the next check's verdict decides eligibility even if the camera was eligible before.
    verdict_pending = models.BooleanField(_("verdict pending"), default=True, editable=False)
    # When the camera last had a full check (frame rate, bit rate, keyframe interval: the whole
    # standard; cameras/tasks.py, "Routine and full checks"). Only a full check can find a camera
    # eligible, and connecting it needs a recent one (cameras/lifecycle.py).
    full_checked_at = models.DateTimeField(_("last full check at"), null=True, blank=True)

    # Sweep bookkeeping (cameras/tasks.py): schedule and lease.
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("check lease until"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    # Whether the claimed check is a full one: decided when the sweep claims the camera.
    claim_full = models.BooleanField(default=False, editable=False)
    # Claims that never reported back; a camera whose checks keep dying (FFmpeg crash) is isolated.
    unfinished_checks = models.PositiveSmallIntegerField(
        _("unfinished checks"), default=0, editable=False
    )
    # Whether the notice of the portal stopping its checks went out (cameras/notify.py).
    isolation_notified = models.BooleanField(default=False, editable=False)
    # The camera's latest picture has a picture warning (cameras/snapshots.py): counted on the
    # dashboards without reading the pictures' rows.
    picture_warned = models.BooleanField(_("picture warning"), default=False, editable=False)

    class Meta:
        verbose_name = _("check state")
        verbose_name_plural = _("check states")
        indexes = [
            models.Index(fields=["health"], name="cameras_state_health_idx"),
            models.Index(fields=["next_check_at"], name="cameras_state_due_idx"),
            models.Index(fields=["claim_token"], name="cameras_state_claim_idx"),
        ]

    def __str__(self):
        return f"{self.camera_id} {self.get_health_display()}"

    @property
    def resolution(self):
        if self.last_width and self.last_height:
            return f"{self.last_width}x{self.last_height}"
        return ""


# What a new address or credentials do to the check state: the next check starts afresh and its
# verdict decides eligibility, even for a camera that was eligible before.
STATE_OF_A_NEW_STREAM = {
    "verdict_pending": True,
    "next_check_at": None,
    "consecutive_failures": 0,
    "unfinished_checks": 0,
}


class CameraStatusChange(models.Model):
    """One move of a camera along the connection lifecycle (cameras/lifecycle.py).

    Written with the transition, never edited: the short timeline on the camera page. The audit
    log holds the same change with its actor, address and request id.
    """

    camera = models.ForeignKey(
        "cameras.Camera",
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("camera"),
    )
    source = models.CharField(_("from"), max_length=20, choices=ConnectionStatus.choices)
    target = models.CharField(_("to"), max_length=20, choices=ConnectionStatus.choices)
    transition = models.CharField(_("transition"), max_length=30)
    at = models.DateTimeField(_("at"))
    # Empty for the portal's checks.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("connection status change")
        verbose_name_plural = _("connection status changes")
        indexes = [models.Index(fields=["camera", "at"], name="cameras_statuschange_cam_idx")]

    def __str__(self):
        # Shown in the admin (a camera's deletion lists its history): labels, not status keys.
        source, target = self.get_source_display(), self.get_target_display()
        return f"{self.camera_id} {source} -> {target} {self.at:%Y-%m-%d %H:%M}"


class ConnectionStandardQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ConnectionStandard(models.Model):
    """The technical requirements a camera stream must meet to be connected, in numbered versions.

    Exactly one version is active. A version that judged cameras is never edited: a change makes
    a new version (the admin does this), so every verdict keeps pointing at the rules it applied.
    """

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=False, editable=False)
    allowed_schemes = models.CharField(
        _("accepted address schemes"),
        max_length=50,
        default="rtsp,rtsps",
        help_text=_("Comma-separated, e.g. rtsp,rtsps."),
    )
    allowed_codecs = models.CharField(
        _("accepted video codecs"),
        max_length=100,
        default="h264,hevc",
        help_text=_("Comma-separated codec names: h264 (H.264), hevc (H.265), mjpeg, mpeg4."),
    )
    min_width = models.PositiveIntegerField(_("minimum width (pixels)"), default=1280)
    min_height = models.PositiveIntegerField(_("minimum height (pixels)"), default=720)
    min_fps = models.FloatField(_("minimum frame rate (frames/s)"), default=10.0)
    max_first_frame_s = models.FloatField(
        _("maximum time to first picture (s)"),
        default=5.0,
        help_text=_("From opening the stream to the first complete picture (keyframe)."),
    )
    note = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)

    objects = ConnectionStandardQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("connection standard")
        verbose_name_plural = _("connection standards")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="%(app_label)s_%(class)s_one_active",
                violation_error_message=_("Only one version of the standard can be active."),
            ),
            models.CheckConstraint(
                condition=models.Q(min_width__gt=0, min_height__gt=0),
                name="%(app_label)s_%(class)s_resolution_positive",
                violation_error_message=_("The minimum resolution must be above zero."),
            ),
            models.CheckConstraint(
                condition=models.Q(min_fps__gt=0, max_first_frame_s__gt=0),
                name="%(app_label)s_%(class)s_rates_positive",
                violation_error_message=_(
                    "The minimum frame rate and the time to first picture must be above zero."
                ),
            ),
        ]

    def __str__(self):
        return _("Connection standard version %(version)s") % {"version": self.version}

    RULE_FIELDS = (
        "allowed_schemes",
        "allowed_codecs",
        "min_width",
        "min_height",
        "min_fps",
        "max_first_frame_s",
    )

    @property
    def schemes(self):
        return _split(self.allowed_schemes)

    @property
    def codecs(self):
        return _split(self.allowed_codecs)

    def codec_labels(self):
        labels = dict(Codec.choices)
        return [str(labels.get(code, code)) for code in self.codecs]

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        errors = {}
        unknown = [code for code in self.codecs if code not in Codec.values]
        if not self.codecs:
            errors["allowed_codecs"] = _("Accept at least one codec.")
        elif unknown:
            errors["allowed_codecs"] = _(
                "Unknown codec %(codecs)s; use the names h264, hevc, mjpeg or mpeg4."
            ) % {"codecs": ", ".join(unknown)}
        schemes = self.schemes
        if not schemes:
            errors["allowed_schemes"] = _("Accept at least one of rtsp and rtsps.")
        elif set(schemes) - {"rtsp", "rtsps"}:
            errors["allowed_schemes"] = _("Only rtsp and rtsps can be accepted.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls):
        """The active version; the defaults of the issue when none was ever saved."""
        standard = cls.objects.active().first()
        if standard is None:
            try:
                with transaction.atomic():
                    standard = cls.objects.active().first() or cls.objects.create(
                        version=(cls.objects.aggregate(v=models.Max("version"))["v"] or 0) + 1,
                        is_active=True,
                        activated_at=timezone.now(),
                    )
            except IntegrityError:
                # Two sweeps asked at the same moment and the other one created it first.
                standard = cls.objects.active().get()
        return standard

    def activate(self):
        """Make this version the active one (the previous one stays as history)."""
        with transaction.atomic():
            ConnectionStandard.objects.filter(is_active=True).exclude(pk=self.pk).update(
                is_active=False
            )
            self.is_active = True
            self.activated_at = timezone.now()
            self.save(update_fields=["is_active", "activated_at"])
            # Cameras judged by another version are due for a check, so verdicts follow soon.
            CameraState.objects.exclude(verdict_standard=self).update(next_check_at=None)


def _split(value):
    return [item.strip().lower() for item in (value or "").split(",") if item.strip()]


class CameraOutage(models.Model):
    """One period during which a camera was offline or below the standard (degraded).

    One row per period, not per check: history grows with changes of state, not with probes.
    """

    camera = models.ForeignKey(
        "cameras.Camera",
        on_delete=models.CASCADE,
        related_name="outages",
        verbose_name=_("camera"),
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=[(Health.OFFLINE, Health.OFFLINE.label), (Health.DEGRADED, Health.DEGRADED.label)],
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    error_kind = models.CharField(_("error kind"), max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # E-mail notices (cameras/notify.py) of offline periods: when the start and the end were told.
    start_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    end_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        constraints = [
            models.UniqueConstraint(
                fields=["camera"],
                condition=models.Q(ended_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open",
                violation_error_message=_("A camera has at most one outage in progress."),
            ),
        ]
        indexes = [
            models.Index(fields=["camera", "started_at"], name="cameras_outage_camera_idx"),
            models.Index(fields=["ended_at"], name="cameras_outage_ended_idx"),
        ]

    def __str__(self):
        return f"{self.camera_id} {self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class CameraDay(models.Model):
    """Checks and successful checks of one camera on one local day: the source of uptime."""

    camera = models.ForeignKey(
        "cameras.Camera",
        on_delete=models.CASCADE,
        related_name="days",
        verbose_name=_("camera"),
    )
    day = models.DateField(_("day"))
    checks = models.PositiveIntegerField(_("checks"), default=0)
    successes = models.PositiveIntegerField(_("successful checks"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("camera day")
        verbose_name_plural = _("camera days")
        constraints = [
            models.UniqueConstraint(
                fields=["camera", "day"],
                name="%(app_label)s_%(class)s_camera_day",
                violation_error_message=_("This camera already has a row for this day."),
            ),
            models.CheckConstraint(
                condition=models.Q(successes__lte=models.F("checks")),
                name="%(app_label)s_%(class)s_successes_lte_checks",
                violation_error_message=_("Successful checks cannot exceed checks."),
            ),
        ]
        indexes = [models.Index(fields=["day"], name="cameras_cameraday_day_idx")]

    def __str__(self):
        return f"{self.camera_id} {self.day}: {self.successes}/{self.checks}"


class Sweep(models.Model):
    """One run of checks over many cameras, split into batches; notices go out when it ends."""

    trigger = models.CharField(
        _("started by"),
        max_length=10,
        choices=SweepTrigger.choices,
        default=SweepTrigger.SCHEDULE,
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cameras = models.PositiveIntegerField(_("cameras"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    batches_done = models.PositiveIntegerField(_("batches done"), default=0)
    successes = models.PositiveIntegerField(_("successful checks"), default=0)
    failures = models.PositiveIntegerField(_("failed checks"), default=0)
    # Of the checks done, how many were full ones (cameras/tasks.py): the rest were routine.
    full_checks = models.PositiveIntegerField(_("full checks"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("sweep")
        verbose_name_plural = _("sweeps")
        indexes = [models.Index(fields=["started_at"], name="cameras_sweep_started_idx")]

    def __str__(self):
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M}"


class CheckTally(models.Model):
    """Running totals of the portal's checks: how many ended with each outcome, by how long the
    probe took (a duration bucket), and their summed probe time.

    What the metrics endpoint (reports/metrics.py) reports as the check counters and the probe
    duration histogram. Kept in the database, not in a process's memory, because checks run in
    any number of task-cluster processes on any number of machines, none of which serves
    HTTP: the web process that answers a scrape reads these rows and so sees them all
    (cameras/tally.py writes them, two statements per batch). A few dozen rows, never purged:
    counters only grow, as Prometheus expects.
    """

    outcome = models.CharField(_("outcome"), max_length=20)
    # The bucket's upper bound in seconds as Prometheus writes it ("0.25", "+Inf").
    le = models.CharField(_("up to (s)"), max_length=10)
    checks = models.PositiveBigIntegerField(_("checks"), default=0)
    duration_ms = models.PositiveBigIntegerField(_("summed probe time (ms)"), default=0)

    class Meta:
        ordering = ["outcome", "le"]
        verbose_name = _("check tally")
        verbose_name_plural = _("check tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "le"],
                name="%(app_label)s_%(class)s_outcome_le",
                violation_error_message=_("This outcome already has a row for this bucket."),
            ),
        ]

    def __str__(self):
        return f"{self.outcome} <= {self.le}s: {self.checks}"


class CameraSnapshotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Snapshots of the cameras whose pictures `user` may see (facilities/access.py,
        `restrict_pictures`): fewer people than those who read the camera."""
        return self.filter(camera__in=Camera.objects.restrict_pictures(user))


class CameraSnapshot(models.Model):
    """One picture a camera sent, kept a few days for a person to judge its placement.

    The row holds only what a page lists; the JPEG itself is a file under SNAPSHOT_DIR sealed
    with the credentials key (portal/sealed_files.py), named by `file_name`, never in the
    database (SQLite would bloat), never in a static or media URL, in no export and in no audit
    entry: it is served by one scoped view that names its viewer in the picture
    (cameras/snapshots.py). Removed with its file after SNAPSHOT_RETENTION_HOURS, or when the
    camera has SNAPSHOT_KEEP newer ones.
    """

    camera = models.ForeignKey(
        Camera,
        on_delete=models.CASCADE,
        related_name="snapshots",
        verbose_name=_("camera"),
    )
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    width = models.PositiveSmallIntegerField(_("width"))
    height = models.PositiveSmallIntegerField(_("height"))
    # PictureWarning codes, most telling first; [] for a usable picture.
    warnings = models.JSONField(_("picture warnings"), default=list, blank=True)
    file_name = models.CharField(_("file name"), max_length=64, unique=True, editable=False)

    objects = CameraSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-pk"]
        verbose_name = _("camera snapshot")
        verbose_name_plural = _("camera snapshots")
        indexes = [models.Index(fields=["camera", "-taken_at"], name="cameras_snapshot_cam_idx")]

    def __str__(self):
        return f"{self.camera_id} {self.taken_at:%Y-%m-%d %H:%M}"

    def warning_labels(self):
        """The warnings in words, for the pages."""
        labels = dict(PictureWarning.choices)
        return [labels[code] for code in self.warnings if code in labels]


class PlacementReview(models.Model):
    """A province's judgement of where a camera looks, made from one of its pictures.

    The latest review of a camera is its review state (not reviewed, approved, rejected). A
    rejection makes the camera ineligible, or suspends it if it was connected (cameras/
    lifecycle.py), until a picture taken after the rejected one is approved. The picture itself
    goes after SNAPSHOT_RETENTION_HOURS; the review keeps when it was taken.
    """

    camera = models.ForeignKey(
        Camera,
        on_delete=models.CASCADE,
        related_name="placement_reviews",
        verbose_name=_("camera"),
    )
    snapshot = models.ForeignKey(
        CameraSnapshot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("picture"),
    )
    snapshot_taken_at = models.DateTimeField(_("picture taken at"))
    decision = models.CharField(_("decision"), max_length=10, choices=PlacementDecision.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=PlacementRejection.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("placement review")
        verbose_name_plural = _("placement reviews")
        indexes = [models.Index(fields=["camera", "-at"], name="cameras_review_cam_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="approved", reason="")
                | models.Q(decision="rejected") & ~models.Q(reason=""),
                name="cameras_review_reason_iff_rejected",
                violation_error_message=_("A rejected placement needs a reason, and only it."),
            )
        ]

    def __str__(self):
        return f"{self.camera_id} {self.decision} {self.at:%Y-%m-%d %H:%M}"

    def reason_text(self):
        """The reason in words, with the note."""
        if self.decision != PlacementDecision.REJECTED:
            return ""
        label = str(PlacementRejection(self.reason).label)
        return f"{label}: {self.note}" if self.note else label
