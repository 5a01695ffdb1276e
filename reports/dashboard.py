"""What a progress dashboard shows, computed from scoped querysets in a fixed number of queries.

The view passes the querysets already narrowed to the viewer (and to one province on the
province page); nothing here knows about requests.
"""

import dataclasses
import datetime

from django.db.models import Subquery, Sum
from django.utils.translation import gettext as _

from facilities.choices import Operator, Region
from reports import charts, counters
from reports.conf import progress_deadline
from reports.snapshot import Counts, counts_by_province, counts_of_snapshot

TREND_DAYS = 30


@dataclasses.dataclass
class Line:
    """One line of a progress table: a province, or a subtotal."""

    label: str
    counts: Counts
    previous: Counts | None = None
    province: object = None
    operator: str = ""
    region: str = ""
    # (label, number) of each registered counter (reports/counters.py), live pages only.
    extra: tuple = ()

    @property
    def operator_label(self):
        return Operator(self.operator).label if self.operator in Operator.values else self.operator

    @property
    def delta(self):
        return None if self.previous is None else self.counts - self.previous


@dataclasses.dataclass
class Deadline:
    day: datetime.date
    days_left: int

    @property
    def overdue(self):
        return self.days_left < 0

    @property
    def days_overdue(self):
        return -self.days_left


def deadline_as_of(day):
    deadline = progress_deadline()
    if deadline is None:
        return None
    return Deadline(day=deadline, days_left=(deadline - day).days)


def _stored(snapshots):
    """{province id: (Counts, operator, region)} of snapshot rows."""
    return {
        row.province_id: (counts_of_snapshot(row), row.operator, row.region) for row in snapshots
    }


def previous_snapshot(snapshots, before):
    """(day, {province id: Counts}) of the latest stored day before `before`, or (None, {})."""
    latest = snapshots.filter(day__lt=before).order_by("-day").values("day")[:1]
    rows = list(snapshots.filter(day=Subquery(latest)))
    if not rows:
        return None, {}
    return rows[0].day, {row.province_id: counts_of_snapshot(row) for row in rows}


def progress_lines(provinces, current, previous):
    """Province lines plus subtotals per operator and region and the grand total.

    provinces: Province objects in display order.
    current:   {province id: (Counts, operator, region)}; a province absent from it has zeros.
    previous:  {province id: Counts} of the previous snapshot, or {} (no change shown).
    """
    operators, regions = dict(Operator.choices), dict(Region.choices)
    lines = []
    for province in provinces:
        counts, operator, region = current.get(
            province.pk, (Counts(), province.operator, province.region)
        )
        lines.append(
            Line(
                label=province.name,
                counts=counts,
                previous=previous.get(province.pk, Counts()) if previous else None,
                province=province,
                operator=operator,
                region=region,
            )
        )

    def subtotal(label, members):
        return Line(
            label=label,
            counts=sum((line.counts for line in members), Counts()),
            previous=(sum((line.previous for line in members), Counts()) if previous else None),
        )

    by_operator = [
        subtotal(str(label), [line for line in lines if line.operator == value])
        for value, label in operators.items()
    ]
    by_region = [
        subtotal(str(label), [line for line in lines if line.region == value])
        for value, label in regions.items()
    ]
    return lines, by_operator, by_region, subtotal(_("Total"), lines)


def add_counters(lines, total, columns):
    """Put each counter's figure on the province lines (0 when absent) and its sum on `total`."""
    for line in lines:
        line.extra = tuple(
            (counter.label, values.get(line.province.pk, 0)) for counter, values in columns
        )
    total.extra = tuple(
        (counter.label, sum(line.extra[i][1] for line in lines))
        for i, (counter, _values) in enumerate(columns)
    )


def trend(snapshots, *, end, live_total=None):
    """(days, connected, online) of the stored snapshots of the TREND_DAYS days up to `end`.

    live_total: today's live Counts, drawn as the last point when `end` is today.
    """
    start = end - datetime.timedelta(days=TREND_DAYS - 1)
    rows = (
        snapshots.filter(day__gte=start, day__lte=end)
        .order_by()
        .values("day")
        .annotate(connected=Sum("cameras_connected"), online=Sum("cameras_online"))
        .order_by("day")
    )
    points = {row["day"]: (row["connected"], row["online"]) for row in rows}
    if live_total is not None:
        points[end] = (live_total.cameras_connected, live_total.cameras_online)
    days = sorted(points)
    return days, [points[d][0] for d in days], [points[d][1] for d in days]


def build(*, provinces, facilities, cameras, snapshots, today, day=None):
    """The dashboard's data: live counts for today (day None) or the stored snapshot of `day`.

    provinces: the viewer's Province objects in display order.
    facilities, cameras, snapshots: querysets already scoped to the viewer.
    """
    provinces = list(provinces)
    live = day is None
    shown_day = today if live else day
    if live:
        counts = counts_by_province(facilities, cameras)
        current = {p.pk: (counts.get(p.pk, Counts()), p.operator, p.region) for p in provinces}
        taken_at = None
        stored = True
    else:
        rows = list(snapshots.filter(day=day))
        current = _stored(rows)
        taken_at = max((row.taken_at for row in rows), default=None)
        stored = bool(rows)
    previous_day, previous = previous_snapshot(snapshots, shown_day)
    lines, by_operator, by_region, grand = progress_lines(provinces, current, previous)
    # Registered counters are live figures: a stored day has none.
    extra_columns = counters.columns(p.pk for p in provinces) if live else []
    add_counters(lines, grand, extra_columns)
    days, connected, online = trend(
        snapshots, end=shown_day, live_total=grand.counts if live else None
    )
    chart = charts.trend_svg(
        days,
        [connected, online],
        title=_("Connected and online cameras, last %(days)d days") % {"days": TREND_DAYS},
        labels=[_("Connected cameras"), _("Online cameras (incl. degraded)")],
    )
    return {
        "live": live,
        "day": shown_day,
        "stored": stored,
        "taken_at": taken_at,
        "previous_day": previous_day,
        "lines": lines,
        "by_operator": by_operator,
        "by_region": by_region,
        "grand": grand,
        "counters": [counter for counter, _values in extra_columns],
        "deadline": deadline_as_of(shown_day),
        "trend_days": list(zip(days, connected, online, strict=True)),
        "trend_chart": chart,
        "trend_length": TREND_DAYS,
    }
