"""Counts of the daily progress report, live or stored, and the daily snapshot that stores them.

Definitions (the issue's, used by every page, export and the stored snapshot):
- closed facilities and decommissioned cameras are left out of every count;
- facilities: facilities not closed; facilities connected: with at least one `connected` camera;
- cameras registered: every counted camera; eligible: `eligible`, `connected` or `suspended`;
  ineligible: `ineligible`; connected: `connected`;
- online: health `online` or `degraded`; offline: health `offline` (`unknown` is neither);
- planned: sum of the facilities' planned numbers of cameras.

Everything is counted by the database with one GROUP BY query per table, whatever the size of
the registry: a national snapshot is a handful of queries and at most 63 small writes.
"""

import dataclasses
import operator

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from cameras.choices import ConnectionStatus, Health
from cameras.models import Camera
from facilities.choices import FacilityStatus
from facilities.models import Facility, Province

ELIGIBLE_STATUSES = (
    ConnectionStatus.ELIGIBLE,
    ConnectionStatus.CONNECTED,
    ConnectionStatus.SUSPENDED,
)
ONLINE_HEALTH = (Health.ONLINE, Health.DEGRADED)


@dataclasses.dataclass
class Counts:
    """The counts of one province (or of a sum of provinces) at one moment."""

    facilities: int = 0
    facilities_connected: int = 0
    cameras_registered: int = 0
    cameras_eligible: int = 0
    cameras_ineligible: int = 0
    cameras_connected: int = 0
    cameras_online: int = 0
    cameras_offline: int = 0
    cameras_planned: int = 0

    def __add__(self, other):
        return Counts(*map(operator.add, self.as_tuple(), other.as_tuple()))

    def __sub__(self, other):
        return Counts(*map(operator.sub, self.as_tuple(), other.as_tuple()))

    def as_tuple(self):
        # Not dataclasses.astuple: it deep-copies, and exports call this once per row.
        return _values(self)

    def as_dict(self):
        return dict(zip(COUNT_FIELDS, self.as_tuple(), strict=True))

    @property
    def percent_facilities_connected(self):
        return percent(self.facilities_connected, self.facilities)

    @property
    def percent_planned_connected(self):
        """Connected cameras as a share of the planned ones (the report's "percent connected")."""
        return percent(self.cameras_connected, self.cameras_planned)


COUNT_FIELDS = tuple(field.name for field in dataclasses.fields(Counts))
_values = operator.attrgetter(*COUNT_FIELDS)


def percent(part, whole):
    """Percentage rounded to one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def counted_facilities(facilities):
    return facilities.exclude(status=FacilityStatus.CLOSED)


def counted_cameras(cameras):
    return cameras.exclude(connection_status=ConnectionStatus.DECOMMISSIONED).exclude(
        facility__status=FacilityStatus.CLOSED
    )


def has_connected_camera():
    """Condition on a facility queryset: at least one connected camera.

    An IN-list of the connected cameras' facilities rather than a correlated EXISTS: SQLite
    builds the list once instead of probing the camera index per facility (4x faster at 10,000
    facilities, bench/bench_reports.py); PostgreSQL plans both as a hashed semi-join.
    """
    return Q(
        pk__in=Camera.objects.filter(connection_status=ConnectionStatus.CONNECTED)
        .order_by()
        .values("facility_id")
    )


def counts_by_province(facilities=None, cameras=None):
    """{province id: Counts} of the given (already scoped) facilities and cameras, live.

    Two aggregate queries; provinces without any counted facility are absent (zero counts).
    """
    if facilities is None:
        facilities = Facility.objects.all()
    if cameras is None:
        cameras = Camera.objects.all()
    result = {}
    facility_rows = (
        counted_facilities(facilities)
        .order_by()
        .values("province_id")
        .annotate(
            n=Count("pk"),
            connected=Count("pk", filter=has_connected_camera()),
            planned=Sum("planned_cameras"),
        )
    )
    for row in facility_rows:
        counts = result.setdefault(row["province_id"], Counts())
        counts.facilities = row["n"]
        counts.facilities_connected = row["connected"]
        counts.cameras_planned = row["planned"] or 0
    camera_rows = (
        counted_cameras(cameras)
        .order_by()
        # Grouping on an expression, not the bare column: otherwise SQLite walks facilities in
        # province order and probes each one's cameras through the index (random reads) just to
        # skip a sort; a sequential scan of cameras and a sort of 63 groups is 3x faster at
        # 100,000 cameras. PostgreSQL hash-joins and hash-aggregates either way.
        .values(province=F("facility__province_id") + 0)
        .annotate(
            registered=Count("pk"),
            eligible=Count("pk", filter=Q(connection_status__in=ELIGIBLE_STATUSES)),
            ineligible=Count("pk", filter=Q(connection_status=ConnectionStatus.INELIGIBLE)),
            connected=Count("pk", filter=Q(connection_status=ConnectionStatus.CONNECTED)),
            online=Count("pk", filter=Q(state__health__in=ONLINE_HEALTH)),
            offline=Count("pk", filter=Q(state__health=Health.OFFLINE)),
        )
    )
    for row in camera_rows:
        counts = result.setdefault(row["province"], Counts())
        counts.cameras_registered = row["registered"]
        counts.cameras_eligible = row["eligible"]
        counts.cameras_ineligible = row["ineligible"]
        counts.cameras_connected = row["connected"]
        counts.cameras_online = row["online"]
        counts.cameras_offline = row["offline"]
    return result


def counts_of_snapshot(row):
    return Counts(**{name: getattr(row, name) for name in COUNT_FIELDS})


def total(counts):
    """Sum of an iterable of Counts."""
    result = Counts()
    for item in counts:
        result = result + item
    return result


def take_snapshot(day=None, *, now=None):
    """Store the live counts of every province as the snapshot of `day` (default: today, local).

    Re-running a day replaces that day's figures, so the last run of a day is the day's report;
    the rows keep their ids. Rows are written one by one (63 small writes) rather than in bulk so
    that the audit trail sees a person's regeneration of a day (reports/apps.py has snapshots
    made by someone audited, not those of the schedule); rows whose figures did not change are not
    rewritten, only their time.
    The counting (half a second at 100,000 cameras) is a read outside the transaction; only the
    writes of the day's rows hold the write lock.
    Returns the number of province rows of the day.
    """
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    counts = counts_by_province()
    provinces = list(Province.objects.order_by("code"))
    with transaction.atomic():
        _write_snapshot(day, now, counts, provinces)
    return len(provinces)


def _write_snapshot(day, now, counts, provinces):
    """Write (or rewrite) the rows of `day` from `counts` ({province id: Counts})."""
    from reports.models import DailySnapshot

    existing = {
        row.province_id: row for row in DailySnapshot.objects.select_for_update().filter(day=day)
    }
    for province in provinces:
        values = {
            "operator": province.operator,
            "region": province.region,
            **counts.get(province.pk, Counts()).as_dict(),
        }
        row = existing.get(province.pk)
        if row is None:
            DailySnapshot.objects.create(day=day, province=province, taken_at=now, **values)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.taken_at = now
            row.save()
    DailySnapshot.objects.filter(day=day).update(taken_at=now)

