"""The report settings, parsed once with errors that say what to fix."""

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def snapshot_time():
    """REPORT_SNAPSHOT_TIME as a time of day (local time, Asia/Ho_Chi_Minh by default)."""
    raw = settings.REPORT_SNAPSHOT_TIME
    try:
        return datetime.time.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"REPORT_SNAPSHOT_TIME={raw!r}: expected a local time of day as HH:MM, e.g. 17:00"
        ) from exc


def progress_deadline():
    """PROGRESS_DEADLINE as a date, or None when set empty (no deadline shown)."""
    raw = settings.PROGRESS_DEADLINE
    if not raw or not raw.strip():
        return None
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"PROGRESS_DEADLINE={raw!r}: expected a date as YYYY-MM-DD, e.g. 2021-06-12"
        ) from exc
