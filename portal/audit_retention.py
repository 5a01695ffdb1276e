"""Retention of the audit record: entries, account events and access-log files older than
AUDIT_RETENTION_DAYS are removed by a daily django-q2 task, and nothing younger ever is."""

import datetime

from auditlog.models import LogEntry
from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from portal import accesslog
from portal.chunked import delete_in_chunks
from portal.models import AccountEvent
from portal.schedule import ensure_schedule

# A schedule made before the audit code was split names the old "portal.audit.purge_expired":
# `ensure_retention_schedule` points it here at the next migrate.
RETENTION_TASK = "portal.audit_retention.purge_expired"
RETENTION_SCHEDULE = "portal.audit_retention"


def retention_cutoff(now=None):
    days = settings.AUDIT_RETENTION_DAYS
    if days < 1:
        # A retention of zero days would wipe the record: refuse rather than obey a typo.
        raise ValueError(f"AUDIT_RETENTION_DAYS must be at least 1, not {days}")
    return (now or timezone.now()) - datetime.timedelta(days=days)


def purge_expired(now=None):
    """Remove entries, events and access-log files older than AUDIT_RETENTION_DAYS (a task).

    Strictly older: nothing younger than the retention period is ever removed.
    """
    cutoff = retention_cutoff(now)
    # In chunks of short transactions (portal/chunked.py): the first purge after a retention
    # was shortened may remove hundreds of thousands of rows.
    entries = delete_in_chunks(LogEntry.objects.filter(timestamp__lt=cutoff))
    events = delete_in_chunks(AccountEvent.objects.filter(timestamp__lt=cutoff))
    # A day's file holds lines up to its end: it goes once the whole day is past the cutoff.
    files = accesslog.remove_files_before(timezone.localtime(cutoff).date())
    return {"entries": entries, "events": events, "files": files}


def ensure_retention_schedule(using="default", now=None):
    """The daily django-q2 schedule of `purge_expired`, created once (post_migrate, idempotent)."""
    # At night, local time, away from the working day's traffic.
    local = timezone.localtime(now or timezone.now())
    first = (local + datetime.timedelta(days=1)).replace(hour=2, minute=30, second=0, microsecond=0)
    return ensure_schedule(
        RETENTION_SCHEDULE, RETENTION_TASK, Schedule.DAILY, next_run=first, using=using
    )
