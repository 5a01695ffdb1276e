"""The django-q2 schedule that runs the camera sweep every CAMERA_CHECK_INTERVAL minutes."""

from cameras import conf
from portal.schedule import ensure_schedule

SCHEDULE_NAME = "cameras.sweep"
TASK = "cameras.tasks.sweep"


SNAPSHOT_PURGE_NAME = "cameras.purge_snapshots"
SNAPSHOT_PURGE_TASK = "cameras.tasks.purge_snapshots"


def ensure_snapshot_purge_schedule(using="default"):
    """Every hour, the camera snapshots past SNAPSHOT_RETENTION_HOURS are deleted, files too."""
    from django_q.models import Schedule

    return ensure_schedule(
        SNAPSHOT_PURGE_NAME, SNAPSHOT_PURGE_TASK, Schedule.MINUTES, minutes=60, using=using
    )


def ensure_sweep_schedule(using="default"):
    """Create the sweep schedule once; follow CAMERA_CHECK_INTERVAL (post_migrate, idempotent)."""
    from django_q.models import Schedule

    return ensure_schedule(
        SCHEDULE_NAME, TASK, Schedule.MINUTES, minutes=conf.interval_minutes(), using=using
    )
