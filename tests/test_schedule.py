"""The django-q2 schedules the apps keep (portal/schedule.py): made once, put back after migrate."""

import datetime

import pytest
from django.utils import timezone
from django_q.models import Schedule

from cameras.schedule import SCHEDULE_NAME, ensure_sweep_schedule
from portal.schedule import ensure_schedule

pytestmark = pytest.mark.django_db


def test_the_sweep_follows_a_changed_interval_and_keeps_an_administrators_other_edits(settings):
    schedule = Schedule.objects.get(name=SCHEDULE_NAME)
    schedule.cluster, schedule.repeats = "north", 3
    schedule.save()

    settings.CAMERA_CHECK_INTERVAL = 10
    ensure_sweep_schedule()

    [schedule] = Schedule.objects.filter(name=SCHEDULE_NAME)
    assert (schedule.minutes, schedule.repeats) == (10, -1)
    assert schedule.cluster == "north"


def _nightly(next_run, time_of_day=None):
    ensure_schedule(
        "nightly", "portal.audit.purge_expired", Schedule.DAILY,
        next_run=next_run, time_of_day=time_of_day,
    )
    return Schedule.objects.get(name="nightly").next_run


def _minute(moment):
    return timezone.localtime(moment).time().replace(second=0, microsecond=0)


def test_a_daily_schedule_keeps_its_next_run_unless_its_time_of_day_changed():
    first = timezone.now() + datetime.timedelta(hours=3)
    later = first + datetime.timedelta(hours=1)
    assert _nightly(first) == first
    assert _nightly(later) == first
    assert _nightly(later, time_of_day=_minute(first)) == first
    assert _nightly(later, time_of_day=_minute(later)) == later
