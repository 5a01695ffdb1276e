"""Progress dashboards and CSV exports, scoped to the viewer (thin: the work is in the modules)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cameras.models import Camera
from facilities import access
from facilities.models import Facility, Province
from portal.account_events import record_event
from portal.errors import NotFound
from reports import blockers, dashboard, exports
from reports.forms import DayForm, ProgressExportForm, ProvinceFilterForm
from reports.models import DailySnapshot

# The national list of facilities not yet connected can run to thousands: the page shows the
# first ones and the facilities export has them all.
NOT_CONNECTED_LIMIT = 200


class Scope:
    """The viewer's provinces (optionally one of them) and the matching scoped querysets."""

    def __init__(self, user, code=None):
        self.user = user
        provinces = Province.objects.restrict(user, access.VIEW).order_by("code")
        if code:
            provinces = provinces.filter(code=code)
        self.provinces = list(provinces)
        if not self.provinces:
            # The 63 province codes are public reference data: telling a wrong code from one not
            # delegated reveals nothing a reader may not know.
            if code and not Province.objects.filter(code=code).exists():
                raise NotFound(_("There is no province with code %(code)s.") % {"code": code})
            raise PermissionDenied(_("No province's report has been delegated to your account."))
        self.province = self.provinces[0] if code else None
        self.national = self.province is None and access.sees_everything(user, access.VIEW)
        self.facilities = Facility.objects.restrict(user, access.VIEW)
        self.cameras = Camera.objects.restrict(user, access.VIEW)
        self.snapshots = DailySnapshot.objects.restrict(user, access.VIEW)
        if not self.national:
            # Facility-level grants elsewhere must not leak partial provinces into the report.
            ids = [p.pk for p in self.provinces]
            self.facilities = self.facilities.filter(province_id__in=ids)
            self.cameras = self.cameras.filter(facility__province_id__in=ids)
            self.snapshots = self.snapshots.filter(province_id__in=ids)

    @property
    def one_province(self):
        """The province when the scope is exactly one, else None."""
        return self.provinces[0] if len(self.provinces) == 1 else None

    @property
    def total_label(self):
        return _("National total") if self.national else _("Total")


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


# --- CSV exports ------------------------------------------------------------------------------


def _audited(request, name, filters, stream, language, target):
    """The stream's text, then exactly one account event, when it ends or the client leaves.

    target: the one province the export is about, so the event is scoped to it in the audit log.
    """
    complete = False
    try:
        with translation.override(language):
            yield from stream
        complete = True
    finally:
        detail = {"export": name, "filters": filters, "rows": stream.count}
        if not complete:
            detail["complete"] = False
        record_event("export", request, target=target, detail=detail)


def _csv_response(request, scope, name, filters, stream, filename):
    response = StreamingHttpResponse(
        _audited(request, name, filters, stream, translation.get_language(), scope.one_province),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _bad_request(form):
    lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


@login_required
def export_progress(request):
    """Export 1: progress by province for a date or a date range, with a total row per day."""
    form = ProgressExportForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    data = form.cleaned_data
    scope = Scope(request.user, data["province"] or None)
    start, end = data["start"], data["end"]
    snapshots = scope.snapshots
    province_ids = [p.pk for p in scope.provinces]
    facilities, cameras = scope.facilities, scope.cameras
    if scope.province:
        snapshots = snapshots.filter(province=scope.province)
        facilities = facilities.filter(province=scope.province)
        cameras = cameras.filter(facility__province=scope.province)
    live = None
    if start <= timezone.localdate() <= end:
        live = exports.live_progress(
            Province.objects.restrict(request.user, access.VIEW).filter(pk__in=province_ids),
            facilities,
            cameras,
        )
    stream = exports.progress_csv(
        snapshots, start=start, end=end, live=live, total_label=scope.total_label
    )
    filters = {"start": start.isoformat(), "end": end.isoformat(), "province": data["province"]}
    span = start.isoformat() if start == end else f"{start.isoformat()}_{end.isoformat()}"
    suffix = f"-{scope.province.code}" if scope.province else ""
    return _csv_response(
        request, scope, "progress", filters, stream, f"progress-{span}{suffix}.csv"
    )


def _list_export(request, name, build):
    form = ProvinceFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    code = form.cleaned_data["province"] or None
    scope = Scope(request.user, code)
    facilities, cameras = scope.facilities, scope.cameras
    if scope.province:
        facilities = facilities.filter(province=scope.province)
        cameras = cameras.filter(facility__province=scope.province)
    stream = build(facilities, cameras)
    day = timezone.localdate().isoformat()
    suffix = f"-{code}" if code else ""
    return _csv_response(
        request, scope, name, {"province": code or ""}, stream, f"{name}-{day}{suffix}.csv"
    )


@login_required
def export_facilities(request):
    """Export 2: facilities with their camera counts and focal person (live)."""
    return _list_export(request, "facilities", lambda f, c: exports.facility_csv(f))


@login_required
def export_cameras(request):
    """Export 3: cameras with facility, province, zone, status, health and 7-day uptime (live)."""
    return _list_export(request, "cameras", lambda f, c: exports.camera_csv(c))
