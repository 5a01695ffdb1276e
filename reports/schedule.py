"""The django-q2 schedule that takes the daily snapshot at REPORT_SNAPSHOT_TIME."""

import datetime

from django.db import connections
from django.utils import timezone

from reports.conf import snapshot_time

SCHEDULE_NAME = "reports.daily_snapshot"
TASK = "reports.tasks.take_daily_snapshot"


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
    """Create the daily schedule once; re-time it when REPORT_SNAPSHOT_TIME changed.

    Missed runs are not caught up: Q_CLUSTER["catch_up"] is False, so after an outage the
    scheduler runs the task once and moves next_run to the next future time (one snapshot, not
    one per missed day). An overdue next_run at the configured time is kept, so a deploy during
    an outage does not skip that day's run.
    Returns the schedule, or None when django-q2's tables do not exist yet.
    """
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return None
    at = snapshot_time()
    manager = Schedule.objects.using(using)
    schedule = manager.filter(name=SCHEDULE_NAME).order_by("pk").first()
    if schedule is None:
        return manager.create(
            name=SCHEDULE_NAME,
            func=TASK,
            schedule_type=Schedule.DAILY,
            repeats=-1,
            next_run=next_run_at(at, now),
        )
    changed = False
    if schedule.func != TASK or schedule.schedule_type != Schedule.DAILY:
        schedule.func, schedule.schedule_type, changed = TASK, Schedule.DAILY, True
    if schedule.repeats != -1:
        schedule.repeats, changed = -1, True
    current = timezone.localtime(schedule.next_run).time() if schedule.next_run else None
    if current is None or current.replace(second=0, microsecond=0) != at:
        schedule.next_run, changed = next_run_at(at, now), True
    if changed:
        schedule.save(using=using)
    return schedule
