from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What the checks write (cameras/tasks.py, cameras/health.py), never a person: health and the
# last probe's facts, verdict bookkeeping, leases, failure counters, scheduling. Not audited, and
# a save limited to them costs the audit trail nothing.
CAMERA_MACHINE_FIELDS = [
    "health",
    "health_changed_at",
    "consecutive_failures",
    "failing_since",
    "unfinished_checks",
    "last_checked_at",
    "last_ok_at",
    "last_codec",
    "last_width",
    "last_height",
    "last_fps",
    "last_ttff_ms",
    "last_keyframe_interval_s",
    "last_bitrate_kbps",
    "last_error_kind",
    "last_error_message",
    "verdict_eligible",
    "verdict_reasons",
    "verdict_standard",
    "verdict_at",
    "verdict_pending",
    "next_check_at",
    "claimed_until",
    "claim_token",
    "isolation_notified",
    "updated_at",
]


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
        # Imported here, like lifecycle: it imports models, which Django loads after app configs.
        from portal import auditlog_setup

        # Stream credentials: an entry says they changed, never what to or from.
        auditlog_setup.register(
            self.get_model("Camera"),
            exclude=CAMERA_MACHINE_FIELDS,
            redact=["username", "password"],
        )
        auditlog_setup.register(self.get_model("ConnectionStandard"))


def _ensure_schedule(sender, using="default", **kwargs):
    from cameras.schedule import ensure_sweep_schedule

    ensure_sweep_schedule(using=using)
