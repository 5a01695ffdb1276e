from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CamerasConfig(AppConfig):
    name = "cameras"
    verbose_name = _("Cameras")

    def ready(self):
        # After every migrate (and test-database set-up): a fresh installation sweeps without a
        # manual step; the function is idempotent and follows CAMERA_CHECK_INTERVAL.
        post_migrate.connect(_ensure_schedule, sender=self, dispatch_uid="cameras.ensure_schedule")
        from django.db.models.signals import pre_save

        from cameras import lifecycle

        # No save, whatever its path, stores a change of status the lifecycle table forbids.
        pre_save.connect(
            lifecycle.guard, sender=self.get_model("Camera"), dispatch_uid="cameras.lifecycle"
        )
        # A camera's search text copies its facility's (portal/search.py): a facility saved
        # with another name, address... carries it to its cameras.
        from django.db.models.signals import post_save

        post_save.connect(
            _refresh_camera_search_text,
            sender="facilities.Facility",
            dispatch_uid="cameras.facility_search_text",
        )
        # Imported here, like lifecycle: it imports models, which Django loads after app configs.
        from portal import auditlog_setup

        # Stream credentials: an entry says they changed, never what to or from. What the
        # checks write is the camera's CameraState, never registered: nothing of it to exclude.
        auditlog_setup.register(
            self.get_model("Camera"),
            exclude=["updated_at"],
            redact=["username", "password"],
        )
        auditlog_setup.register(self.get_model("ConnectionStandard"))
        # A snapshot's file goes with its row (trimmed, purged, or its camera deleted).
        from django.db.models.signals import post_delete

        from cameras import snapshots

        post_delete.connect(
            snapshots.remove_file,
            sender=self.get_model("CameraSnapshot"),
            dispatch_uid="cameras.snapshot_file",
        )


def _ensure_schedule(sender, using="default", **kwargs):
    from cameras.schedule import ensure_sweep_schedule

    ensure_sweep_schedule(using=using)
    from cameras.schedule import ensure_snapshot_purge_schedule

    ensure_snapshot_purge_schedule(using=using)


def _refresh_camera_search_text(sender, instance, created, raw=False, using=None, **kwargs):
    if created or raw:
        return
    from cameras.models import Camera
    from portal.search import refresh_search_text

    refresh_search_text(Camera.objects.using(using).filter(facility_id=instance.pk))
