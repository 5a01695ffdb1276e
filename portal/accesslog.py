"""The access log file: one JSON line per account event, one file per day, for log collection.

A file per local day (access-YYYY-MM-DD.jsonl) instead of a renaming rotation: the web workers and
the task cluster are separate processes writing the same log, and Python's rotating handlers rename
files under each other's feet. Appending whole lines to a file opened in append mode is safe across
processes; the retention task removes files older than AUDIT_RETENTION_DAYS.

No model imports here: the LOGGING setting loads this module before the apps are ready.
"""

import logging
import os
import time
from pathlib import Path

FILE_PREFIX = "access-"
FILE_SUFFIX = ".jsonl"


def file_name(day):
    """The file name of one day's log (`day` a date)."""
    return f"{FILE_PREFIX}{day:%Y-%m-%d}{FILE_SUFFIX}"


def log_dir():
    from django.conf import settings

    return Path(settings.ACCESS_LOG_DIR)


class DailyFileHandler(logging.Handler):
    """Appends each record's message as one line to ACCESS_LOG_DIR/access-<local day>.jsonl.

    The directory is read from the settings at each record, so a test or a deployment that changes
    ACCESS_LOG_DIR after start-up writes where it says.
    """

    def __init__(self, level=logging.NOTSET):
        super().__init__(level)
        self._path = None
        self._stream = None

    def _stream_for(self, path):
        if path != self._path or self._stream is None:
            self._close_stream()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = open(path, "a", encoding="utf-8")  # kept open between records
            self._path = path
        return self._stream

    def _close_stream(self):
        if self._stream is not None:
            try:
                self._stream.close()
            finally:
                self._stream, self._path = None, None

    def emit(self, record):
        try:
            # Local time: Django sets the process time zone to TIME_ZONE.
            day = time.strftime("%Y-%m-%d", time.localtime(record.created))
            path = log_dir() / f"{FILE_PREFIX}{day}{FILE_SUFFIX}"
            message = self.format(record).replace("\n", " ")
            with self.lock:
                stream = self._stream_for(path)
                stream.write(message + "\n")
                stream.flush()
        except Exception:
            self.handleError(record)

    def close(self):
        with self.lock:
            self._close_stream()
        super().close()


def remove_files_before(day):
    """Delete the daily files of days strictly before `day`; returns how many were removed."""
    directory = log_dir()
    if not directory.is_dir():
        return 0
    cutoff = file_name(day)
    removed = 0
    for entry in os.scandir(directory):
        name = entry.name
        # Names sort like their dates; anything not ours is left alone.
        if (
            entry.is_file()
            and name.startswith(FILE_PREFIX)
            and name.endswith(FILE_SUFFIX)
            and len(name) == len(cutoff)
            and name < cutoff
        ):
            os.unlink(entry.path)
            removed += 1
    return removed
