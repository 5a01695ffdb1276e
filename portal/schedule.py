"""The django-q2 schedules the apps keep: created once, put back to their settings after migrate.

Each app calls `ensure_schedule()` from a post_migrate receiver connected in its AppConfig.ready(),
so a fresh installation runs its periodic tasks without a manual step and a changed setting (an
interval, a time of day) reaches the stored schedule at the next deploy. The fields an app does not
set (cluster, hook, arguments) stay as an administrator left them.
"""

from django.db import connections
from django.utils import timezone


def ensure_schedule(
    name,
    func,
    schedule_type,
    *,
    minutes=None,
    next_run=None,
    time_of_day=None,
    using="default",
):
    """Create the repeating schedule `name` once; put back its task, type and interval.

    minutes:     the interval of a MINUTES schedule.
    next_run:    when a new schedule first runs (django-q2's default, now, when None).
    time_of_day: the local time a daily schedule runs at: an existing schedule whose next run is
                 at another minute of the day moves to `next_run`. Without it an existing
                 schedule keeps its next run.
    Idempotent. Returns the schedule, or None before django-q2's tables exist (migrate of an
    earlier app).
    """
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return None
    manager = Schedule.objects.using(using)
    # If a schedule of that name was copied, always the same one (the oldest).
    schedule = manager.filter(name=name).order_by("pk").first()
    wanted = {"func": func, "schedule_type": schedule_type, "repeats": -1}
    if minutes is not None:
        wanted["minutes"] = minutes
    if schedule is None:
        if next_run is not None:
            wanted["next_run"] = next_run
        return manager.create(name=name, **wanted)
    if time_of_day is not None and not _runs_at(schedule, time_of_day):
        wanted["next_run"] = next_run
    changed = [field for field, value in wanted.items() if getattr(schedule, field) != value]
    if changed:
        for field in changed:
            setattr(schedule, field, wanted[field])
        schedule.save(using=using, update_fields=changed)
    return schedule


def _runs_at(schedule, time_of_day):
    if schedule.next_run is None:
        return False
    current = timezone.localtime(schedule.next_run).time().replace(second=0, microsecond=0)
    return current == time_of_day
