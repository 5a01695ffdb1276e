"""django-q2 tasks of the reports app."""

import logging

from django.utils import timezone

from reports import export_jobs
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


def build_export(job_id):
    """Build a background export (reports/export_jobs.py) with its owner's scope."""
    return export_jobs.run(job_id)


def purge_expired_exports():
    """The hourly clean-up: files of expired exports deleted, old job rows removed."""
    expired, deleted, stray = export_jobs.purge()
    if expired or deleted or stray:
        log.info(
            "exports: %d expired, %d old jobs removed, %d stray files",
            expired,
            deleted,
            stray,
        )
    return f"{expired} expired, {deleted} removed, {stray} stray"
