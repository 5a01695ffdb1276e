"""The report's CSV exports, streamed row by row in constant memory.

Every export is a generator of CSV text: rows are read with `.values_list(...).iterator()` in
chunks, so memory does not grow with the number of rows (measured in bench/bench_reports.py).
Text starts with a UTF-8 byte order mark so Excel shows Vietnamese names correctly, and headers
and labels are in the language active when the export is built (the interface language).
Exports never read camera credentials: every query names its columns. Every cell goes through
portal/spreadsheet.py in CsvStream, the one place rows are written, so text that begins like a
formula (a facility named "=HYPERLINK(...)") opens in Excel as text.
"""

import csv
import datetime
from operator import add as operator_add

from django.apps import apps
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cameras.choices import ConnectionStatus, Health, Zone
from facilities.choices import FacilityKind, FacilityStatus, Operator
from portal.spreadsheet import safe_row
from reports.snapshot import (
    COUNT_FIELDS,
    ELIGIBLE_STATUSES,
    ONLINE_HEALTH,
    Counts,
    counted_cameras,
    counted_facilities,
    counts_by_province,
    percent,
)

BOM = "\ufeff"
CHUNK_SIZE = 2000
# Rows per piece of the HTTP body: big enough that the per-write overhead vanishes, small enough
# that the first bytes leave at once.
ROWS_PER_PIECE = 500
UPTIME_DAYS = 7


class _Echo:
    """A file-like object whose write() hands the CSV line back instead of storing it."""

    def write(self, value):
        return value


class CsvStream:
    """CSV text of a header and rows, in pieces; counts the data rows it has produced.

    Rows hold numbers as numbers and text as text: text cells are made spreadsheet-safe here.
    """

    def __init__(self, header, rows):
        self.header = header
        self.rows = rows
        self.count = 0

    def __iter__(self):
        writer = csv.writer(_Echo())
        yield BOM + writer.writerow(safe_row(self.header))
        piece = []
        for row in self.rows:
            piece.append(writer.writerow(safe_row(row)))
            self.count += 1
            if len(piece) >= ROWS_PER_PIECE:
                yield "".join(piece)
                piece = []
        if piece:
            yield "".join(piece)


def _labels(choices):
    """Choice labels as plain strings in the active language (fixed before streaming starts)."""
    return {value: str(label) for value, label in choices}


def _number(value):
    return "" if value is None else f"{value:.1f}"


# --- 1. Progress by province ------------------------------------------------------------------


def progress_header():
    return [
        _("Date"),
        _("Province code"),
        _("Province"),
        _("Operator"),
        _("Facilities"),
        _("Facilities connected"),
        _("Cameras registered"),
        _("Eligible"),
        _("Ineligible"),
        _("Connected"),
        _("Online"),
        _("Offline"),
        _("Planned"),
        _("Percent connected"),
    ]


_CONNECTED = COUNT_FIELDS.index("cameras_connected")
_PLANNED = COUNT_FIELDS.index("cameras_planned")


def _progress_row(day, code, name, operator, values):
    """One CSV row; `values` are the counts in COUNT_FIELDS order (plain ints: once per row)."""
    return [
        day.isoformat(),
        code,
        name,
        operator,
        *values,
        # Formatted directly (not percent() then _number()): this runs once per row.
        f"{100.0 * values[_CONNECTED] / values[_PLANNED]:.1f}" if values[_PLANNED] else "",
    ]


def progress_rows(snapshots, *, start, end, live=None, total_label=None):
    """Rows of export 1: one per province and day, then the day's total row.

    snapshots: the (scoped, province-filtered) DailySnapshot queryset; days in [start, end].
    live:      (provinces, {province id: Counts}) used for today when today is in the range and
               has no stored snapshot yet, so a report asked before the scheduled time is not
               empty; a stored snapshot always wins.
    """
    operators = _labels(Operator.choices)
    total_label = total_label or _("National total")
    zero = [0] * len(COUNT_FIELDS)
    rows = (
        snapshots.filter(day__gte=start, day__lte=end)
        .order_by("day", "province__code")
        .values_list("day", "province__code", "province__name", "operator", *COUNT_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    day = None
    day_total = zero
    for row in rows:
        if row[0] != day:
            if day is not None:
                yield _progress_row(day, "", total_label, "", day_total)
            day, day_total = row[0], zero
        values = row[4:]
        day_total = list(map(operator_add, day_total, values))
        yield _progress_row(row[0], row[1], row[2], operators.get(row[3], row[3]), values)
    today = timezone.localdate()
    if live is not None and start <= today <= end and day != today:
        if day is not None:
            yield _progress_row(day, "", total_label, "", day_total)
        provinces, counts_by_id = live
        day, day_total = today, zero
        for province in provinces:
            values = counts_by_id.get(province.pk, Counts()).as_tuple()
            day_total = list(map(operator_add, day_total, values))
            yield _progress_row(
                today, province.code, province.name, operators[province.operator], values
            )
    if day is not None:
        yield _progress_row(day, "", total_label, "", day_total)


def live_progress(provinces, facilities, cameras):
    """The `live` argument of progress_rows for the given scoped querysets."""
    return list(provinces.order_by("code")), counts_by_province(facilities, cameras)


def progress_csv(snapshots, *, start, end, live=None, total_label=None):
    return CsvStream(
        progress_header(),
        progress_rows(snapshots, start=start, end=end, live=live, total_label=total_label),
    )


# --- 2. Facilities ----------------------------------------------------------------------------


def facility_header():
    return [
        _("Province code"),
        _("Province"),
        _("Facility"),
        _("Kind"),
        _("Status"),
        _("District"),
        _("Address"),
        _("Managing agency"),
        _("Planned"),
        _("Cameras registered"),
        _("Eligible"),
        _("Ineligible"),
        _("Connected"),
        _("Online"),
        _("Offline"),
        _("Focal person"),
        _("Focal person's title"),
        _("Focal person's phone"),
        _("Focal person's e-mail"),
    ]


def facility_rows(facilities):
    """Rows of export 2: every counted facility with its camera counts and focal person.

    One GROUP BY query over facilities joined to their cameras (a single multi-valued join, so
    the conditional counts do not multiply each other).
    """
    kinds = _labels(FacilityKind.choices)
    statuses = _labels(FacilityStatus.choices)
    counted = ~Q(cameras__connection_status=ConnectionStatus.DECOMMISSIONED)
    rows = (
        counted_facilities(facilities)
        .order_by("province__code", "name", "pk")
        .annotate(
            n_registered=Count("cameras", filter=counted),
            n_eligible=Count("cameras", filter=Q(cameras__connection_status__in=ELIGIBLE_STATUSES)),
            n_ineligible=Count(
                "cameras", filter=Q(cameras__connection_status=ConnectionStatus.INELIGIBLE)
            ),
            n_connected=Count(
                "cameras", filter=Q(cameras__connection_status=ConnectionStatus.CONNECTED)
            ),
            n_online=Count(
                "cameras", filter=counted & Q(cameras__state__health__in=ONLINE_HEALTH)
            ),
            n_offline=Count(
                "cameras", filter=counted & Q(cameras__state__health=Health.OFFLINE)
            ),
        )
        .values_list(
            "province__code",
            "province__name",
            "name",
            "kind",
            "status",
            "district",
            "address",
            "managing_agency",
            "planned_cameras",
            "n_registered",
            "n_eligible",
            "n_ineligible",
            "n_connected",
            "n_online",
            "n_offline",
            "focal_name",
            "focal_title",
            "focal_phone",
            "focal_email",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        row = list(row)
        row[3] = kinds.get(row[3], row[3])
        row[4] = statuses.get(row[4], row[4])
        yield row


def facility_csv(facilities):
    return CsvStream(facility_header(), facility_rows(facilities))


# --- 3. Cameras -------------------------------------------------------------------------------


def camera_header():
    return [
        _("Province code"),
        _("Province"),
        _("Facility"),
        _("Camera"),
        _("Placement zone"),
        _("Connection status"),
        _("Reason"),
        _("Health"),
        _("Last error"),
        _("Last check"),
        _("Uptime over 7 days (%)"),
    ]


def camera_day_model():
    """The per-camera per-day health history (cameras.CameraDay), when it is installed."""
    try:
        return apps.get_model("cameras", "CameraDay")
    except LookupError:
        return None


def _uptime_sums(camera_day, field, since, until):
    per_camera = (
        camera_day.objects.filter(camera=OuterRef("pk"), day__gte=since, day__lte=until)
        .order_by()
        .values("camera")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Subquery(per_camera, output_field=IntegerField())


def camera_rows(cameras, *, today=None):
    """Rows of export 3: counted cameras with facility, province, state and 7-day uptime.

    Uptime is successful checks / checks over the last 7 days (today included) from the daily
    health history; empty when the camera was not checked in that window (or the history model is
    not installed). Two correlated sums per row, still one query for the whole export.
    """
    zones = _labels(Zone.choices)
    statuses = _labels(ConnectionStatus.choices)
    healths = _labels(Health.choices)
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=UPTIME_DAYS - 1)
    queryset = counted_cameras(cameras).order_by(
        "facility__province__code", "facility__name", "name", "pk"
    )
    fields = [
        "facility__province__code",
        "facility__province__name",
        "facility__name",
        "name",
        "zone",
        "connection_status",
        "status_reason",
        "state__health",
        "state__last_error_kind",
        "state__last_checked_at",
    ]
    camera_day = camera_day_model()
    if camera_day is not None:
        queryset = queryset.annotate(
            checks_7d=_uptime_sums(camera_day, "checks", since, today),
            successes_7d=_uptime_sums(camera_day, "successes", since, today),
        )
        fields += ["checks_7d", "successes_7d"]
    for row in queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
        checked_at = row[9]
        uptime = ""
        if camera_day is not None and row[10]:
            uptime = _number(percent(row[11] or 0, row[10]))
        yield [
            row[0],
            row[1],
            row[2],
            row[3],
            zones.get(row[4], row[4]),
            statuses.get(row[5], row[5]),
            row[6],
            healths.get(row[7], row[7]),
            row[8],
            timezone.localtime(checked_at).strftime("%Y-%m-%d %H:%M") if checked_at else "",
            uptime,
        ]


def camera_csv(cameras, *, today=None):
    return CsvStream(camera_header(), camera_rows(cameras, today=today))
