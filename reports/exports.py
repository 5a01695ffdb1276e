"""The report's exports: one source of typed rows per export, written as CSV or XLSX.

Each export is a list of `Column`s (title, kind, width) and a generator of rows whose cells are
typed Python values: text, int, a share between 0 and 1 (PERCENT), a date, an aware datetime, or
None for an empty cell. Rows are read with `.values_list(...)` and streamed a fetch at a time
(`_stream`: on PostgreSQL from a cursor inside a transaction, which sends its first rows at once),
so memory does not grow with the number of rows (measured in bench/bench_reports.py,
bench/bench_exports.py and bench/bench_pages.py).
The writers turn the same rows into a file: `CsvStream` here (text for machines: a share as
percent points with one decimal, dates as ISO text, times local), reports/xlsx.py for Excel
(numbers, percentages and dates as typed cells).

CSV text starts with a UTF-8 byte order mark so Excel shows Vietnamese names correctly, and
headers and labels are in the language active when the export is built (the interface language).
Exports never read camera credentials: every query names its columns. Every CSV cell goes through
portal/spreadsheet.py in CsvStream, the one place CSV rows are written, so text that begins like a
formula (a facility named "=HYPERLINK(...)") opens in Excel as text.
"""

import csv
import dataclasses
import datetime
import itertools
from operator import add as operator_add

from django.db import connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cameras.choices import ConnectionStatus, ErrorKind, Health, PlacementState, Zone
from cameras.health import uptime_sums
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
)

BOM = "\ufeff"
CHUNK_SIZE = 2000
# Rows per piece of the HTTP body: big enough that the per-write overhead vanishes, small enough
# that the first bytes leave at once.
ROWS_PER_PIECE = 500
UPTIME_DAYS = 7


# Kinds of column: what a cell holds, so each writer can type it.
TEXT = "text"
INTEGER = "integer"
PERCENT = "percent"  # a share between 0 and 1 (None: nothing to divide by)
DATE = "date"
DATETIME = "datetime"  # aware; written in local time (Asia/Ho_Chi_Minh)


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of an export: its title (already translated), kind and width in characters."""

    title: str
    kind: str = TEXT
    width: int = 12


def _csv_percent(value):
    return "" if value is None else f"{100.0 * value:.1f}"


def _csv_date(value):
    return value.isoformat() if value else ""


def _csv_datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


# How CsvStream writes the kinds that are not text or int (the csv module writes those itself).
CSV_FORMATS = {PERCENT: _csv_percent, DATE: _csv_date, DATETIME: _csv_datetime}


def titles(columns):
    return [column.title if isinstance(column, Column) else column for column in columns]


class _Echo:
    """A file-like object whose write() hands the CSV line back instead of storing it."""

    def write(self, value):
        return value


class CsvStream:
    """CSV text of a header and rows, in pieces; counts the data rows it has produced.

    header: `Column`s (their kinds say how to write percentages and dates) or plain titles.
    Rows hold numbers as numbers and text as text: text cells are made spreadsheet-safe here.
    """

    def __init__(self, header, rows):
        self.header = titles(header)
        self.formats = [
            (i, CSV_FORMATS[column.kind])
            for i, column in enumerate(header)
            if isinstance(column, Column) and column.kind in CSV_FORMATS
        ]
        self.rows = rows
        self.count = 0

    def __iter__(self):
        writer = csv.writer(_Echo())
        formats = self.formats
        yield BOM + writer.writerow(safe_row(self.header))
        piece = []
        for row in self.rows:
            if formats:
                row = list(row)
                for i, write in formats:
                    row[i] = write(row[i])
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


# --- 1. Progress by province ------------------------------------------------------------------


def progress_columns():
    """The columns of export 1, in the order of the progress page's table (its two percentages
    included, with the page's own titles and definitions: reports/snapshot.py `Counts`)."""
    return [
        Column(_("Date"), DATE, 11),
        Column(_("Province code"), TEXT, 8),
        Column(_("Province"), TEXT, 22),
        Column(_("Operator"), TEXT, 10),
        Column(_("Facilities"), INTEGER, 10),
        Column(_("Facilities connected"), INTEGER, 12),
        # The progress table's two percentages (reports/dashboard.py), in percent as on the page.
        Column(_("Share of facilities connected (%)"), PERCENT, 12),
        Column(_("Cameras registered"), INTEGER, 12),
        Column(_("Eligible"), INTEGER, 10),
        Column(_("Ineligible"), INTEGER, 10),
        Column(_("Connected"), INTEGER, 10),
        Column(_("Online"), INTEGER, 10),
        Column(_("Offline"), INTEGER, 10),
        Column(_("Planned"), INTEGER, 10),
        Column(_("Share of planned cameras connected (%)"), PERCENT, 12),
    ]


def progress_header():
    return titles(progress_columns())


_FACILITIES = COUNT_FIELDS.index("facilities")
_FACILITIES_CONNECTED = COUNT_FIELDS.index("facilities_connected")
_CONNECTED = COUNT_FIELDS.index("cameras_connected")
_PLANNED = COUNT_FIELDS.index("cameras_planned")
# The facility percentage goes right after the facility counts, as on the page.
_SPLIT = _FACILITIES_CONNECTED + 1


def _progress_row(day, code, name, operator, values):
    """One row; `values` are the counts in COUNT_FIELDS order (plain ints: once per row).

    The shares are Counts.percent_facilities_connected and .percent_planned_connected unrounded
    (computed inline: this runs once per row)."""
    facilities, planned = values[_FACILITIES], values[_PLANNED]
    return [
        day,
        code,
        name,
        operator,
        *values[:_SPLIT],
        values[_FACILITIES_CONNECTED] / facilities if facilities else None,
        *values[_SPLIT:],
        values[_CONNECTED] / planned if planned else None,
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
    rows = _stream(
        snapshots.filter(day__gte=start, day__lte=end)
        .order_by("day", "province__code")
        .values_list("day", "province__code", "province__name", "operator", *COUNT_FIELDS)
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
        progress_columns(),
        progress_rows(snapshots, start=start, end=end, live=live, total_label=total_label),
    )


# --- 2. Facilities ----------------------------------------------------------------------------


def facility_columns():
    return [
        Column(_("Province code"), TEXT, 8),
        Column(_("Province"), TEXT, 20),
        Column(_("Facility"), TEXT, 36),
        Column(_("Kind"), TEXT, 24),
        Column(_("Status"), TEXT, 16),
        Column(_("District"), TEXT, 18),
        Column(_("Address"), TEXT, 30),
        Column(_("Managing agency"), TEXT, 24),
        Column(_("Planned"), INTEGER, 10),
        Column(_("Cameras registered"), INTEGER, 12),
        Column(_("Eligible"), INTEGER, 10),
        Column(_("Ineligible"), INTEGER, 10),
        Column(_("Connected"), INTEGER, 10),
        Column(_("Online"), INTEGER, 10),
        Column(_("Offline"), INTEGER, 10),
        Column(_("Focal person"), TEXT, 22),
        Column(_("Focal person's title"), TEXT, 18),
        Column(_("Focal person's phone"), TEXT, 16),
        Column(_("Focal person's e-mail"), TEXT, 26),
    ]


def facility_header():
    return titles(facility_columns())


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
    )
    for row in _stream(rows):
        row = list(row)
        row[3] = kinds.get(row[3], row[3])
        row[4] = statuses.get(row[4], row[4])
        yield row


def facility_csv(facilities):
    return CsvStream(facility_columns(), facility_rows(facilities))


# --- 3. Cameras -------------------------------------------------------------------------------


def camera_columns():
    return [
        Column(_("Province code"), TEXT, 8),
        Column(_("Province"), TEXT, 20),
        Column(_("Facility"), TEXT, 36),
        Column(_("Camera"), TEXT, 24),
        Column(_("Placement zone"), TEXT, 24),
        Column(_("Connection status"), TEXT, 16),
        Column(_("Reason"), TEXT, 30),
        Column(_("Health"), TEXT, 14),
        Column(_("Last error"), TEXT, 22),
        Column(_("Last check"), DATETIME, 17),
        Column(_("Uptime over 7 days (%)"), PERCENT, 14),
        # Never the picture itself: exports carry no snapshot (cameras/snapshots.py).
        Column(_("Placement review"), TEXT, 18),
    ]


def camera_header():
    return titles(camera_columns())


def _stream(queryset):
    """The rows of `queryset` as they come, CHUNK_SIZE a fetch: memory stays flat.

    PostgreSQL: a server-side cursor inside a transaction. Outside one (autocommit) Django
    declares it WITH HOLD, and PostgreSQL then computes the whole result before it sends the
    first row (the camera export's first byte came after 2.2 to 2.9 s at 100,000 cameras,
    issue 13). The transaction only reads and lasts as long as the download. SQLite streams from
    its cursor as it is: a transaction there would be an IMMEDIATE one, holding the write lock
    for the whole download.
    """
    if connections[queryset.db].vendor == "postgresql":
        with transaction.atomic(using=queryset.db):
            yield from queryset.iterator(chunk_size=CHUNK_SIZE)
    else:
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)


# Cameras whose week of uptime one query sums (through the (camera, day) index on both
# databases: cameras/health.py `uptime_sums`): 10 queries for 100,000 cameras, and at most
# 10,000 rows held at once. The first batch is small so the first rows go out at once.
UPTIME_BATCH = 10_000
UPTIME_FIRST_BATCH = 1_000
CAMERA_ORDER = ("facility__province__code", "facility__name", "facility_id", "name", "pk")


def camera_rows(cameras, *, today=None):
    """Rows of export 3: counted cameras with facility, province, state and 7-day uptime.

    Uptime is successful checks / checks over the last 7 days (today included) from the daily
    health history; empty when the camera was not checked in that window. The cameras are
    streamed in one query (`_stream`); their uptime is summed in one grouped query per batch
    of UPTIME_BATCH cameras (cameras/health.py `uptime_sums`), not by subqueries per camera,
    which made PostgreSQL compute every row's sums before sending the first one.
    """
    zones = _labels(Zone.choices)
    statuses = _labels(ConnectionStatus.choices)
    healths = _labels(Health.choices)
    errors = _labels(ErrorKind.choices)
    reviews = _labels(PlacementState.choices)
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=UPTIME_DAYS - 1)
    rows = _stream(
        counted_cameras(cameras)
        .order_by(*CAMERA_ORDER)
        .values_list(
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
            "pk",
            "placement_review",
        )
    )
    size = UPTIME_FIRST_BATCH
    while batch := list(itertools.islice(rows, size)):
        size = UPTIME_BATCH
        sums = uptime_sums([row[10] for row in batch], since, today)
        for row in batch:
            checks, successes = sums.get(row[10], (0, 0))
            yield [
                row[0],
                row[1],
                row[2],
                row[3],
                zones.get(row[4], row[4]),
                statuses.get(row[5], row[5]),
                row[6],
                healths.get(row[7], row[7]),
                errors.get(row[8], row[8]),
                row[9],
                successes / checks if checks else None,
                reviews.get(row[11], row[11]),
            ]


def camera_csv(cameras, *, today=None):
    return CsvStream(camera_columns(), camera_rows(cameras, today=today))
