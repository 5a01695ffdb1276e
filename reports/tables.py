"""The one source of each export's rows, for a given account: columns, rows, filters, file name.

A page asking for an export (CSV or XLSX, built in the request) and a background job building it
later both call `build()` with the same parameters, so the two give the same rows, computed with
the account's own scope (reports/scope.py). Column titles and labels are in the language active
when `build()` is called.
"""

import dataclasses
import datetime
from collections.abc import Callable, Iterable

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from facilities import access
from facilities.models import Province
from reports import exports
from reports.choices import ExportKind
from reports.scope import Scope
from reports.snapshot import counted_cameras, counted_facilities


@dataclasses.dataclass
class Table:
    """An export ready to be written: nothing is read from the database until `rows` is."""

    kind: str
    columns: list
    rows: Iterable
    filters: dict
    stem: str  # the file name without its extension
    sheet_title: str
    target: object  # the one province it is about (files the account event under it), or None
    count: Callable[[], int]  # how many rows it will have (one or two COUNT queries)


def build(user, kind, params):
    """The Table of export `kind` for `user`.

    params: {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "province": "01" or ""} for progress,
            {"province": ...} for the facilities and cameras (as validated by reports/forms.py).
    Raises PermissionDenied / NotFound when the account does not see the province (any longer).
    """
    if kind == ExportKind.PROGRESS:
        return _progress(
            user,
            start=_day(params["start"]),
            end=_day(params["end"]),
            code=params.get("province") or "",
        )
    return _listing(user, kind, code=params.get("province") or "")


def _day(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _progress(user, *, start, end, code):
    scope = Scope(user, code or None)
    snapshots = scope.snapshots
    province_ids = [p.pk for p in scope.provinces]
    facilities, cameras = scope.facilities, scope.cameras
    if scope.province:
        snapshots = snapshots.filter(province=scope.province)
        facilities = facilities.filter(province=scope.province)
        cameras = cameras.filter(facility__province=scope.province)
    today = timezone.localdate()
    live = None
    if start <= today <= end:
        live = exports.live_progress(
            Province.objects.restrict(user, access.VIEW).filter(pk__in=province_ids),
            facilities,
            cameras,
        )
    in_range = snapshots.filter(day__gte=start, day__lte=end)

    def count():
        stored = in_range.aggregate(rows=Count("pk"), days=Count("day", distinct=True))
        rows = stored["rows"] + stored["days"]
        if live is not None and not in_range.filter(day=today).exists():
            rows += len(live[0]) + 1
        return rows

    span = start.isoformat() if start == end else f"{start.isoformat()}_{end.isoformat()}"
    suffix = f"-{scope.province.code}" if scope.province else ""
    return Table(
        kind=ExportKind.PROGRESS,
        columns=exports.progress_columns(),
        rows=exports.progress_rows(
            snapshots, start=start, end=end, live=live, total_label=scope.total_label
        ),
        filters={"start": start.isoformat(), "end": end.isoformat(), "province": code},
        stem=f"progress-{span}{suffix}",
        sheet_title=_("Progress"),
        target=scope.one_province,
        count=count,
    )


def _listing(user, kind, *, code):
    scope = Scope(user, code or None)
    facilities, cameras = scope.facilities, scope.cameras
    if scope.province:
        facilities = facilities.filter(province=scope.province)
        cameras = cameras.filter(facility__province=scope.province)
    if kind == ExportKind.FACILITIES:
        columns, rows = exports.facility_columns(), exports.facility_rows(facilities)
        title = _("Facilities")

        def count():
            return counted_facilities(facilities).count()

    elif kind == ExportKind.CAMERAS:
        columns, rows = exports.camera_columns(), exports.camera_rows(cameras)
        title = _("Cameras")

        def count():
            return counted_cameras(cameras).count()

    else:
        raise ValueError(f"unknown export {kind!r}")
    day = timezone.localdate().isoformat()
    suffix = f"-{code}" if code else ""
    return Table(
        kind=kind,
        columns=columns,
        rows=rows,
        filters={"province": code},
        stem=f"{kind}-{day}{suffix}",
        sheet_title=title,
        target=scope.one_province,
        count=count,
    )
