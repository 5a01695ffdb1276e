"""The django-q2 schedule that takes the daily snapshot at REPORT_SNAPSHOT_TIME."""

import datetime

from django.utils import timezone

from portal.schedule import ensure_schedule
from reports.conf import snapshot_time

SCHEDULE_NAME = "reports.daily_snapshot"
TASK = "reports.tasks.take_daily_snapshot"
PURGE_SCHEDULE_NAME = "reports.purge_exports"
PURGE_TASK = "reports.tasks.purge_expired_exports"


def next_run_at(at, now=None):
    """The next local `at` time of day strictly after `now`, as an aware datetime."""
    now = timezone.localtime(now or timezone.now())
    candidate = timezone.make_aware(datetime.datetime.combine(now.date(), at))
    if candidate <= now:
        candidate = timezone.make_aware(
            datetime.datetime.combine(now.date() + datetime.timedelta(days=1), at)
        )
    return candidate


def ensure_snapshot_schedule(using="default", now=None):
    """Create the daily schedule once; re-time it when REPORT_SNAPSHOT_TIME changed (post_migrate).

    Missed runs are not caught up: Q_CLUSTER["catch_up"] is False, so after an outage the
    scheduler runs the task once and moves next_run to the next future time (one snapshot, not
    one per missed day). An overdue next_run at the configured time is kept, so a deploy during
    an outage does not skip that day's run.
    """
    from django_q.models import Schedule

    at = snapshot_time()
    return ensure_schedule(
        SCHEDULE_NAME,
        TASK,
        Schedule.DAILY,
        next_run=next_run_at(at, now),
        time_of_day=at,
        using=using,
    )


def ensure_purge_schedule(using="default"):
    """Every hour, the files of background exports past EXPORT_RETENTION_HOURS are deleted."""
    from django_q.models import Schedule

    return ensure_schedule(
        PURGE_SCHEDULE_NAME, PURGE_TASK, Schedule.MINUTES, minutes=60, using=using
    )
