"""django-q2 tasks of the reports app."""

import logging

from django.utils import timezone

from reports.snapshot import take_snapshot

log = logging.getLogger(__name__)


def take_daily_snapshot():
    """The scheduled daily snapshot: today's (local) counts of every province.

    A late run (cluster down at the scheduled time) snapshots the day it runs on: the registry
    keeps no history, so today's counts must not be filed under a past day.
    """
    day = timezone.localdate()
    rows = take_snapshot(day)
    log.info("daily snapshot of %s: %d provinces", day.isoformat(), rows)
    return f"{day.isoformat()}: {rows}"
