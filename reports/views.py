"""Progress dashboards, CSV and Excel exports and background export jobs, scoped to the viewer
(thin: the work is in the modules)."""

import itertools
import tempfile

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from facilities.models import Province
from portal.account_events import record_event
from portal.errors import NotFound
from portal.sealed_files import UnreadableFile, read_sealed
from reports import blockers, dashboard, export_jobs, exports, metrics, tables, xlsx
from reports.choices import ExportFormat, ExportKind, ExportStatus
from reports.forms import DayForm, ProgressExportForm, ProvinceFilterForm
from reports.models import ExportJob
from reports.scope import Scope

# The national list of facilities not yet connected can run to thousands: the dashboard shows
# the first ones and links to the whole list, page by page (rendering 200 of them made most of
# the national dashboard's 340 ms at 100,000 cameras, issue 13).
NOT_CONNECTED_LIMIT = 50
NOT_CONNECTED_PER_PAGE = 100


@login_required
def progress(request, code=None):
    """The progress page: national (every province the viewer sees) or one province."""
    scope = Scope(request.user, code)
    form = DayForm(request.GET or None)
    day = form.cleaned_data["date"] if form.is_valid() else None
    today = timezone.localdate()
    context = dashboard.build(
        provinces=scope.provinces,
        facilities=scope.facilities,
        cameras=scope.cameras,
        snapshots=scope.snapshots,
        today=today,
        day=day,
        # The province table's order (a whitelisted column key, "-" for descending) and whether
        # it also lists the provinces with nothing registered (hidden by default on the pages
        # of several provinces).
        sort=request.GET.get("sort"),
        show_all=request.GET.get("all") == "1",
        hide_empty=scope.province is None,
    )
    total, not_connected = blockers.not_connected(
        scope.facilities, cameras=scope.cameras, limit=NOT_CONNECTED_LIMIT
    )
    context.update(
        scope=scope,
        form=form,
        today=today,
        now=timezone.localtime(),
        not_connected=not_connected,
        not_connected_total=total,
        not_connected_limit=NOT_CONNECTED_LIMIT,
        province=scope.province,
    )
    return render(request, "reports/progress.html", context)


@login_required
@require_safe
def not_connected_list(request, code=None):
    """Every facility of the viewer's scope (or one province) with no connected camera, and
    why, page by page: the whole list the dashboard shows the start of."""
    scope = Scope(request.user, code)
    total = blockers.blocked_facilities(scope.facilities).count()
    page = Paginator(range(total), NOT_CONNECTED_PER_PAGE).get_page(request.GET.get("page"))
    _total, items = blockers.not_connected(
        scope.facilities,
        cameras=scope.cameras,
        limit=NOT_CONNECTED_PER_PAGE,
        offset=max(page.start_index() - 1, 0),
        total=total,
    )
    return render(
        request,
        "reports/not_connected.html",
        {
            "scope": scope,
            "province": scope.province,
            "page": page,
            "not_connected": items,
            "not_connected_total": total,
            "now": timezone.localtime(),
        },
    )


# --- Exports ----------------------------------------------------------------------------------


def _audited(request, detail, stream, language, target):
    """The stream's pieces, then exactly one account event, when it ends or the client leaves.

    detail: the event's detail; "rows" is filled from the stream's count when it has one.
    target: the one province the export is about, so the event is scoped to it in the audit log.
    """
    complete = False
    try:
        with translation.override(language):
            yield from stream
        complete = True
    finally:
        detail = dict(detail)
        if hasattr(stream, "count"):
            detail["rows"] = stream.count
        if not complete:
            detail["complete"] = False
        record_event("export", request, target=target, detail=detail)


def _event(table, fmt, **extra):
    return {"export": table.kind, "format": fmt, "filters": table.filters, **extra}


def _csv_response(request, table):
    stream = exports.CsvStream(table.columns, table.rows)
    response = StreamingHttpResponse(
        _audited(
            request,
            _event(table, ExportFormat.CSV),
            stream,
            translation.get_language(),
            table.target,
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{table.stem}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _xlsx_response(request, table):
    """The workbook built in the request, or, past EXPORT_SYNC_MAX_ROWS, a background job."""
    expected = table.count()
    if expected > export_jobs.sync_max_rows():
        parameters = {**table.filters, "language": translation.get_language()}
        job, created = export_jobs.request(
            request.user,
            table.kind,
            ExportFormat.XLSX,
            parameters,
            rows_total=expected,
            download_name=f"{table.stem}.xlsx",
        )
        if created:
            record_event(
                "export",
                request,
                target=table.target,
                detail=_event(table, ExportFormat.XLSX, rows=expected, job=job.pk, step="queued"),
            )
        return redirect("reports:export_job", job.pk)
    # Unnamed and deleted when the response closes it: nothing of it stays on disk.
    plain = tempfile.TemporaryFile(dir=export_jobs.export_dir())
    try:
        rows = xlsx.write_xlsx(table.columns, table.rows, plain, title=table.sheet_title)
    except BaseException:
        plain.close()
        raise
    plain.seek(0)
    record_event(
        "export", request, target=table.target, detail=_event(table, ExportFormat.XLSX, rows=rows)
    )
    response = FileResponse(
        plain, as_attachment=True, filename=f"{table.stem}.xlsx", content_type=xlsx.CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


def _bad_request(form):
    lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def _respond(request, table, fmt):
    if fmt == ExportFormat.XLSX:
        return _xlsx_response(request, table)
    return _csv_response(request, table)


@login_required
def export_progress(request, fmt=ExportFormat.CSV):
    """Export 1: progress by province for a date or a date range, with a total row per day."""
    form = ProgressExportForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    data = form.cleaned_data
    params = {"start": data["start"], "end": data["end"], "province": data["province"]}
    return _respond(request, tables.build(request.user, ExportKind.PROGRESS, params), fmt)


def _list_export(request, kind, fmt):
    form = ProvinceFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    params = {"province": form.cleaned_data["province"]}
    return _respond(request, tables.build(request.user, kind, params), fmt)


@login_required
def export_facilities(request, fmt=ExportFormat.CSV):
    """Export 2: facilities with their camera counts and focal person (live)."""
    return _list_export(request, ExportKind.FACILITIES, fmt)


@login_required
def export_cameras(request, fmt=ExportFormat.CSV):
    """Export 3: cameras with facility, province, zone, status, health and 7-day uptime (live)."""
    return _list_export(request, ExportKind.CAMERAS, fmt)


# --- Background export jobs -------------------------------------------------------------------


def _own_job(request, pk):
    """The viewer's own job `pk`; someone else's is as absent as one that never existed."""
    job = ExportJob.objects.restrict(request.user).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("You have no export with this number."))
    export_jobs.expire_if_due(job)
    return job


def _expired_message():
    return _(
        "This export has expired: its file is deleted %(hours)d hours after it is ready. "
        "Export it again from the progress page."
    ) % {"hours": settings.EXPORT_RETENTION_HOURS}


def _job_message(job):
    if job.status == ExportStatus.EXPIRED:
        return _expired_message()
    if job.status == ExportStatus.FAILED:
        return str(job.get_error_display() or _("The export failed."))
    return ""


def _job_rows(job):
    return _("%(done)s of %(total)s rows") % {
        "done": number_format(job.rows_done, force_grouping=True),
        "total": number_format(job.rows_total, force_grouping=True),
    }


def _job_province(job):
    code = job.parameters.get("province")
    # Province codes are public reference data; the event is filed under the province.
    return Province.objects.filter(code=code).first() if code else None


@login_required
def export_job_list(request):
    """The viewer's own background exports, newest first."""
    jobs = list(ExportJob.objects.restrict(request.user)[:50])
    now = timezone.now()
    for job in jobs:
        if job.status != ExportStatus.EXPIRED and job.expires_at <= now:
            export_jobs.expire_if_due(job, now)
    return render(
        request,
        "reports/export_jobs.html",
        {"jobs": jobs, "retention_hours": settings.EXPORT_RETENTION_HOURS},
    )


@login_required
def export_job(request, pk):
    """One background export: its progress (updated by export_job.js) and, when ready, the file."""
    job = _own_job(request, pk)
    return render(
        request,
        "reports/export_job.html",
        {
            "job": job,
            "message": _job_message(job),
            "rows_text": _job_rows(job),
            "pending": job.status in export_jobs.PENDING,
        },
    )


@login_required
def export_job_status(request, pk):
    """The job's progress as JSON, for the page's polling."""
    job = _own_job(request, pk)
    done = job.status == ExportStatus.DONE
    response = JsonResponse(
        {
            "status": job.status,
            "label": str(job.get_status_display()),
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "rows_text": _job_rows(job),
            "percent": job.percent_done,
            "download": reverse("reports:export_job_download", args=[job.pk]) if done else None,
            "message": _job_message(job),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_job_download(request, pk):
    """The job's file, decrypted on the fly, for its owner only; each download is an account
    event."""
    job = _own_job(request, pk)
    if job.status == ExportStatus.EXPIRED:
        return render(
            request,
            "reports/export_job.html",
            {"job": job, "message": _expired_message(), "rows_text": _job_rows(job)},
            status=410,
        )
    if job.status != ExportStatus.DONE:
        return redirect("reports:export_job", job.pk)
    pieces = read_sealed(export_jobs.file_path(job))
    try:
        first = next(pieces)
    except (UnreadableFile, FileNotFoundError):
        export_jobs.mark_unreadable(job)
        return render(
            request,
            "reports/export_job.html",
            {"job": job, "message": _job_message(job), "rows_text": _job_rows(job)},
            status=410,
        )
    detail = {
        "export": job.kind,
        "format": job.format,
        "filters": {k: v for k, v in job.parameters.items() if k != "language"},
        "rows": job.rows_done,
        "job": job.pk,
        "step": "download",
    }
    content_type = (
        xlsx.CONTENT_TYPE if job.format == ExportFormat.XLSX else "text/csv; charset=utf-8"
    )
    response = StreamingHttpResponse(
        _audited(
            request,
            detail,
            itertools.chain([first], pieces),
            translation.get_language(),
            _job_province(job),
        ),
        content_type=content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="{job.download_name}"'
    response["Content-Length"] = str(job.size)
    response["Cache-Control"] = "no-store"
    return response


# --- Metrics ----------------------------------------------------------------------------------


@require_safe
def metrics_view(request):
    """Prometheus metrics (reports/metrics.py) for a scraper, not a person: no session, no login.

    Absent (404) unless METRICS_TOKEN is set; refused (403) from outside
    METRICS_ALLOWED_NETWORKS or without the right bearer token.
    """
    if not metrics.enabled():
        raise Http404
    if not metrics.address_allowed(request.client_address):
        raise PermissionDenied
    if not metrics.token_matches(request.headers.get("Authorization")):
        raise PermissionDenied
    response = HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
