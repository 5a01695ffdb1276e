"""The django-q2 schedule that runs the camera sweep every CAMERA_CHECK_INTERVAL minutes."""

from cameras import conf
from portal.schedule import ensure_schedule

SCHEDULE_NAME = "cameras.sweep"
TASK = "cameras.tasks.sweep"


def ensure_sweep_schedule(using="default"):
    """Create the sweep schedule once; follow CAMERA_CHECK_INTERVAL (post_migrate, idempotent)."""
    from django_q.models import Schedule

    return ensure_schedule(
        SCHEDULE_NAME, TASK, Schedule.MINUTES, minutes=conf.interval_minutes(), using=using
    )
