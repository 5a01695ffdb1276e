"""The stream-check settings, checked where they are used.

portal/settings.py reads them from the environment and holds their defaults (README.md,
"Configuration"); these functions read them at each call, not at import, so tests can override
them with override_settings, and say what to fix when a value is out of range.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _positive(name, example, kind=int):
    """The setting `name` as a number above zero; `example` is a sensible value for the hint."""
    value = getattr(settings, name)
    try:
        value = kind(value)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a number, e.g. {example}") from exc
    if value <= 0:
        raise ImproperlyConfigured(f"{name}={value!r}: must be above zero, e.g. {example}")
    return value


def interval_minutes():
    """CAMERA_CHECK_INTERVAL: minutes between two checks of a camera (and between sweeps)."""
    return _positive("CAMERA_CHECK_INTERVAL", 5)


def interval():
    return datetime.timedelta(minutes=interval_minutes())


def batch_size():
    """CAMERA_CHECK_BATCH_SIZE: cameras per django-q2 task."""
    return _positive("CAMERA_CHECK_BATCH_SIZE", 256)


def threads():
    """CAMERA_CHECK_THREADS: probes at once inside one batch task (PyAV releases the GIL)."""
    return _positive("CAMERA_CHECK_THREADS", 128)


def offline_after():
    """CAMERA_OFFLINE_AFTER: consecutive failed checks before a camera counts as offline."""
    return _positive("CAMERA_OFFLINE_AFTER", 2)


def history_days():
    """CAMERA_HISTORY_DAYS: days of daily uptime rows, ended outages and sweeps kept."""
    return _positive("CAMERA_HISTORY_DAYS", 400)


def lease():
    """CAMERA_CHECK_LEASE: seconds a batch holds its cameras; a dead batch's are free after it."""
    return datetime.timedelta(seconds=_positive("CAMERA_CHECK_LEASE", 300))


def crash_limit():
    """CAMERA_CHECK_CRASH_LIMIT: checks in a row that never finished before a camera is isolated."""
    return _positive("CAMERA_CHECK_CRASH_LIMIT", 3)


def full_check_max_age():
    """CAMERA_FULL_CHECK_HOURS: a camera whose last full check is older gets a full one next."""
    return datetime.timedelta(hours=_positive("CAMERA_FULL_CHECK_HOURS", 24.0, float))


def connect_max_age():
    """CONNECT_MAX_AGE: minutes a passing verdict allows connecting (default 3 check intervals)."""
    if not settings.CONNECT_MAX_AGE:
        return 3 * interval()
    return datetime.timedelta(minutes=_positive("CONNECT_MAX_AGE", 15))


def probe_options(full=True):
    """Timeouts handed to cameras.probe.probe (seconds); a routine check samples no stream."""
    return {
        "open_timeout": _positive("CAMERA_PROBE_OPEN_TIMEOUT", 5.0, float),
        "read_timeout": _positive("CAMERA_PROBE_READ_TIMEOUT", 5.0, float),
        "deadline": _positive("CAMERA_PROBE_DEADLINE", 10.0, float),
        "sample_seconds": _positive("CAMERA_PROBE_SAMPLE_SECONDS", 2.0, float) if full else 0.0,
    }


def snapshot_interval():
    """SNAPSHOT_INTERVAL: hours between two pictures of a camera taken by the scheduled checks."""
    return datetime.timedelta(hours=_positive("SNAPSHOT_INTERVAL", 24.0, float))


def snapshot_hours():
    """SNAPSHOT_HOURS "HH-HH": the local hours (start included, end excluded) in which the
    scheduled checks take pictures; at night a picture would be judged black."""
    text = str(settings.SNAPSHOT_HOURS).strip()
    try:
        start, end = (int(part) for part in text.split("-", 1))
        if not (0 <= start < end <= 24):
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            f"SNAPSHOT_HOURS must read like 08-17 (start-end local hours), not {text!r}."
        ) from None
    return start, end


def snapshot_options():
    """What cameras.probe.probe needs to bring back a picture."""
    return {"snapshot": True, "snapshot_size": _positive("SNAPSHOT_SIZE", 640)}
