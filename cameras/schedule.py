"""The django-q2 schedule that runs the camera sweep every CAMERA_CHECK_INTERVAL minutes."""

from django.db import connections

from cameras import conf

SCHEDULE_NAME = "cameras.sweep"
TASK = "cameras.tasks.sweep"


def ensure_sweep_schedule(using="default"):
    """Create the sweep schedule once; follow CAMERA_CHECK_INTERVAL when it changed.

    Idempotent (run after every migrate). Returns the schedule, or None before django-q2's tables
    exist.
    """
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return None
    minutes = conf.interval_minutes()
    manager = Schedule.objects.using(using)
    schedule = manager.filter(name=SCHEDULE_NAME).order_by("pk").first()
    if schedule is None:
        return manager.create(
            name=SCHEDULE_NAME,
            func=TASK,
            schedule_type=Schedule.MINUTES,
            minutes=minutes,
            repeats=-1,
        )
    wanted = {"func": TASK, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1}
    changed = [name for name, value in wanted.items() if getattr(schedule, name) != value]
    if changed:
        for name in changed:
            setattr(schedule, name, wanted[name])
        schedule.save(using=using, update_fields=changed)
    return schedule
