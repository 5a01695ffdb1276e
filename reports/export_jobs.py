"""Large exports built in the background: request, build, download, expire.

openpyxl cannot stream a workbook to the client: 100,000 camera rows take tens of seconds of CPU
(bench/bench_exports.py), past the web server's timeout. So an Excel export of more rows than
EXPORT_SYNC_MAX_ROWS is an `ExportJob`: the request records it and queues a django-q2 task; the
task builds the rows with the job owner's scope (reports/tables.py, as the page would), writes the
file encrypted at rest under EXPORT_DIR (portal/sealed_files.py) and counts rows as it goes; the
owner's page polls the job and downloads the file, decrypted on the fly, until it expires
(EXPORT_RETENTION_HOURS after it was finished). Expired files are deleted by an hourly schedule,
and also as soon as anyone looks at an expired job.

While a workbook is built its plain content exists twice, briefly: openpyxl's temporary sheet
file in the system's temporary directory and the workbook in an unnamed temporary file in
EXPORT_DIR; both are gone when the build ends, in success or failure. A CSV job is sealed as it is
written.
"""

import datetime
import logging
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django_q.tasks import async_task

from portal.sealed_files import SealedWriter, remove
from reports import exports, tables, xlsx
from reports.choices import ExportError, ExportFormat, ExportStatus
from reports.models import ExportJob

log = logging.getLogger(__name__)

TASK = "reports.tasks.build_export"
PENDING = (ExportStatus.QUEUED, ExportStatus.RUNNING)
# Rows between two progress writes: 100 small UPDATEs for 100,000 rows.
PROGRESS_EVERY = 1000
# How long the row of an expired job stays (the page can still say "expired"); the account events
# of its request and downloads stay for AUDIT_RETENTION_DAYS.
KEEP_EXPIRED_ROWS = datetime.timedelta(days=7)


def sync_max_rows():
    return settings.EXPORT_SYNC_MAX_ROWS


def retention():
    return datetime.timedelta(hours=settings.EXPORT_RETENTION_HOURS)


def export_dir():
    """EXPORT_DIR, created readable by the portal's account only."""
    path = Path(settings.EXPORT_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def file_path(job):
    return export_dir() / job.file_name


def request(owner, kind, fmt, parameters, *, rows_total, download_name):
    """The owner's job for this export: a pending identical one (a second click), or a new one,
    queued once the current transaction commits. Returns (job, created)."""
    for job in ExportJob.objects.filter(
        owner=owner, kind=kind, format=fmt, status__in=PENDING, expires_at__gt=timezone.now()
    ):
        if job.parameters == parameters:
            return job, False
    now = timezone.now()
    job = ExportJob.objects.create(
        owner=owner,
        kind=kind,
        format=fmt,
        parameters=parameters,
        rows_total=rows_total,
        download_name=download_name,
        created_at=now,
        # A job no worker ever takes expires too; a finished one gets its own time.
        expires_at=now + retention(),
    )
    transaction.on_commit(lambda: async_task(TASK, job.pk, task_name=f"export-{job.pk}"))
    return job, True


def run(job_id):
    """Build job `job_id` (the task). Returns a short summary for django-q2's task list."""
    started = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=started
    ):
        return f"export {job_id}: not waiting, left alone"
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    job.file_name = f"{secrets.token_urlsafe(18)}.sealed"
    path = file_path(job)
    try:
        language = job.parameters.get("language") or settings.LANGUAGE_CODE
        with translation.override(language):
            table = tables.build(job.owner, job.kind, job.parameters)
            rows, size = write(job.format, table, path, progress=_progress_of(job_id))
    except (PermissionDenied, Http404):
        # The owner lost the grant (or the province) between the request and the run.
        return _fail(job, path, ExportError.SCOPE)
    except Exception:
        log.exception("export %s failed", job_id)
        return _fail(job, path, ExportError.INTERNAL)
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE,
        file_name=job.file_name,
        rows_done=rows,
        rows_total=rows,
        size=size,
        finished_at=finished,
        expires_at=finished + retention(),
    )
    return f"export {job_id}: {rows} rows, {size} bytes"


def write(fmt, table, path, *, progress=None):
    """Write `table` in format `fmt` to the sealed file `path`. Returns (rows, plain bytes)."""
    rows = _counting(table.rows, progress)
    with SealedWriter(path) as out:
        if fmt == ExportFormat.CSV:
            stream = exports.CsvStream(table.columns, rows)
            for piece in stream:
                out.write(piece.encode("utf-8"))
            count = stream.count
        else:
            # A seekable file for the ZIP (a streamed ZIP needs data descriptors, which not
            # every spreadsheet reads); unnamed, so nothing is left behind if the process dies.
            with tempfile.TemporaryFile(dir=export_dir()) as plain:
                count = xlsx.write_xlsx(table.columns, rows, plain, title=table.sheet_title)
                plain.seek(0)
                out.copy_from(plain)
    return count, out.size


def _counting(rows, progress):
    if progress is None:
        yield from rows
        return
    count = 0
    for row in rows:
        yield row
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)


def _progress_of(job_id):
    def progress(count):
        ExportJob.objects.filter(pk=job_id).update(rows_done=count)

    return progress


def _fail(job, path, error):
    remove(path)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.FAILED, error=error, file_name="", finished_at=timezone.now()
    )
    return f"export {job.pk}: failed ({error})"


def mark_unreadable(job):
    """The file no longer decrypts (its key was removed): the job failed, the file goes."""
    if job.file_name:
        remove(file_path(job))
    job.status, job.error, job.file_name = ExportStatus.FAILED, ExportError.UNREADABLE, ""
    job.save(update_fields=["status", "error", "file_name"])


def stalled_after():
    """How long a build may run before it is taken for dead: django-q2's own limit on a task
    (Q_TIMEOUT), plus a minute. A worker killed mid-build leaves its job running forever else."""
    return datetime.timedelta(seconds=settings.Q_CLUSTER.get("timeout", 600) + 60)


def expire_if_due(job, now=None):
    """Settle `job` if its time has come: expired (file deleted) past `expires_at`, failed when its
    build outlived the task time limit. Returns whether it is expired."""
    now = now or timezone.now()
    if job.status == ExportStatus.EXPIRED:
        return True
    if (
        job.status == ExportStatus.RUNNING
        and job.started_at is not None
        and job.started_at <= now - stalled_after()
    ):
        job.status, job.error = ExportStatus.FAILED, ExportError.INTERNAL
        job.save(update_fields=["status", "error"])
    if job.expires_at > now:
        return False
    if job.file_name:
        remove(file_path(job))
    job.status, job.file_name = ExportStatus.EXPIRED, ""
    job.save(update_fields=["status", "file_name"])
    return True


def purge(now=None):
    """Delete the files of expired jobs (and files no job knows), and old expired rows; builds
    that outlived the task time limit are marked failed.

    The hourly task. Returns (jobs expired, job rows deleted, stray files deleted)."""
    now = now or timezone.now()
    expired = 0
    due = Q(expires_at__lte=now) | Q(
        status=ExportStatus.RUNNING, started_at__lte=now - stalled_after()
    )
    for job in ExportJob.objects.filter(due).exclude(status=ExportStatus.EXPIRED):
        expired += expire_if_due(job, now)
    deleted, _ = ExportJob.objects.filter(
        status=ExportStatus.EXPIRED, expires_at__lte=now - KEEP_EXPIRED_ROWS
    ).delete()
    known = set(ExportJob.objects.exclude(file_name="").values_list("file_name", flat=True))
    stray = 0
    # A file whose job row went (its owner was deleted) or that a crash left behind; young ones
    # may belong to a job being written right now.
    cutoff = (now - retention()).timestamp()
    for path in export_dir().glob("*.sealed"):
        if path.name not in known and path.stat().st_mtime < cutoff:
            remove(path)
            stray += 1
    return expired, deleted, stray
