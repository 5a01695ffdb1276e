"""What a progress dashboard shows, computed from scoped querysets in a fixed number of queries.

The view passes the querysets already narrowed to the viewer (and to one province on the
province page); nothing here knows about requests.
"""

import dataclasses
import datetime
from collections import Counter

from django.db.models import Count, F, Q, Subquery, Sum, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cameras.choices import ConnectionStatus, Health, PlacementState
from facilities.choices import FacilityStatus, Operator, Region
from portal.collation import collation_key
from reports import charts, counters
from reports.conf import progress_deadline
from reports.snapshot import (
    ELIGIBLE_STATUSES,
    ONLINE_HEALTH,
    Counts,
    counts_by_province,
    counts_of_snapshot,
    percent,
)

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


# --- Headline figures and how they add up -----------------------------------------------------


@dataclasses.dataclass
class Breakdown:
    """Today's cameras (of a province, or summed) by connection status and health.

    statuses: {status: number} of the counted cameras (reports/snapshot.py: not decommissioned,
    facility not closed); health: {status: {health: number}} of the same cameras;
    decommissioned, in_closed: the cameras left out of every count, so the registry's own
    number of cameras is accounted for too.
    """

    statuses: Counter = dataclasses.field(default_factory=Counter)
    health: dict = dataclasses.field(default_factory=dict)
    decommissioned: int = 0
    in_closed: int = 0
    # {placement review state: number} of the counted cameras (cameras/placement.py), and how
    # many of them have a warning on their latest picture (cameras/snapshots.py).
    reviews: Counter = dataclasses.field(default_factory=Counter)
    picture_warned: int = 0

    @property
    def counted(self):
        return sum(self.statuses.values())

    def health_of(self, statuses):
        result = Counter()
        for status in statuses:
            result.update(self.health.get(status, {}))
        return result

    def __add__(self, other):
        health = {status: Counter(by_health) for status, by_health in self.health.items()}
        for status, by_health in other.health.items():
            health.setdefault(status, Counter()).update(by_health)
        return Breakdown(
            statuses=self.statuses + other.statuses,
            health=health,
            decommissioned=self.decommissioned + other.decommissioned,
            in_closed=self.in_closed + other.in_closed,
            reviews=self.reviews + other.reviews,
            picture_warned=self.picture_warned + other.picture_warned,
        )

    def fill(self, counts):
        """Write the camera figures of `counts` (Counts) by the report's definitions."""
        s = self.statuses
        health = self.health_of(s)
        counts.cameras_registered = self.counted
        counts.cameras_eligible = sum(s[status] for status in ELIGIBLE_STATUSES)
        counts.cameras_ineligible = s[ConnectionStatus.INELIGIBLE]
        counts.cameras_connected = s[ConnectionStatus.CONNECTED]
        counts.cameras_online = sum(health[h] for h in ONLINE_HEALTH)
        counts.cameras_offline = health[Health.OFFLINE]
        return counts


def camera_breakdown(cameras):
    """{province id: Breakdown} of the (scoped) cameras, in one GROUP BY query."""
    result = {}
    rows = (
        cameras.order_by()
        # Grouping on expressions, not the bare columns, as counts_by_province does: otherwise
        # SQLite walks the connection status index and reads the cameras at random to skip a
        # sort of a few thousand groups.
        .values(
            province=F("facility__province_id") + 0,
            status=Concat("connection_status", Value("")),
            health=F("state__health"),
            facility_status=F("facility__status"),
        )
        # The reviews and picture warnings counted within these groups, not grouped on: two
        # more grouping columns cost the national dashboard 20 ms of SQLite's CPU and 100 ms on
        # PostgreSQL at 100,000 cameras; conditional counts cost nothing measurable.
        .annotate(
            n=Count("pk"),
            approved=Count("pk", filter=Q(placement_review=PlacementState.APPROVED)),
            rejected=Count("pk", filter=Q(placement_review=PlacementState.REJECTED)),
            warned=Count("pk", filter=Q(state__picture_warned=True)),
        )
    )
    for row in rows:
        breakdown = result.setdefault(row["province"], Breakdown())
        status, n = row["status"], row["n"]
        if status == ConnectionStatus.DECOMMISSIONED:
            breakdown.decommissioned += n
        elif row["facility_status"] == FacilityStatus.CLOSED:
            breakdown.in_closed += n
        else:
            breakdown.statuses[status] += n
            # A camera without a state row has never been checked: its health is unknown.
            health = row["health"] or Health.UNKNOWN
            breakdown.health.setdefault(status, Counter())[health] += n
            approved, rejected = row["approved"], row["rejected"]
            breakdown.reviews[PlacementState.APPROVED] += approved
            breakdown.reviews[PlacementState.REJECTED] += rejected
            breakdown.reviews[PlacementState.NOT_REVIEWED] += n - approved - rejected
            breakdown.picture_warned += row["warned"]
    return result


def live_counts(facilities, cameras):
    """({province id: Counts}, {province id: Breakdown}) of today, in two queries.

    The facility figures come from counts_by_province (its camera query left out: cameras.none()
    runs none); the camera figures from camera_breakdown, which the headline's sums read too, so
    the table and the sums come from one reading of the cameras and cannot disagree, and the page
    scans the cameras once (at 100,000 cameras the scan is most of the page's time).
    tests/test_dashboard.py holds these counts equal to counts_by_province's.
    """
    counts = counts_by_province(facilities, cameras.none())
    breakdowns = camera_breakdown(cameras)
    for province_id, breakdown in breakdowns.items():
        breakdown.fill(counts.setdefault(province_id, Counts()))
    return counts, breakdowns


@dataclasses.dataclass
class Term:
    """A number of the headline with its name; `derived` when it is what remains of a total
    (a stored snapshot keeps only the totals, not every part)."""

    key: str
    label: str
    value: int
    derived: bool = False


@dataclasses.dataclass
class Addition:
    """total = the sum of parts, written out on the page so a reader can check it."""

    total: Term
    parts: list

    @property
    def adds_up(self):
        return self.total.value == sum(part.value for part in self.parts)


@dataclasses.dataclass
class Figure:
    """One big number at the top of the page, with its definition."""

    key: str
    label: str
    value: int
    definition: str
    whole: int | None = None  # shown as "value / whole"
    shares: tuple = ()  # (percent or None, what it is a share of)
    delta: int | None = None
    note: str = ""


def _delta(grand, name):
    return None if grand.delta is None else getattr(grand.delta, name)


def headline(grand, breakdown=None):
    """(figures, sums) of the top of the page from the total line and today's breakdown.

    breakdown None (a stored day): the parts a snapshot does not keep are derived from its
    totals and marked so.
    """
    c = grand.counts
    figures = [
        Figure(
            key="facilities_connected",
            label=_("Facilities connected"),
            value=c.facilities_connected,
            whole=c.facilities,
            definition=_("Facilities (not closed) with at least one connected camera."),
            shares=((c.percent_facilities_connected, _("of facilities")),),
            delta=_delta(grand, "facilities_connected"),
        ),
        Figure(
            key="cameras_connected",
            label=_("Cameras connected"),
            value=c.cameras_connected,
            definition=_("Cameras the province's operator has connected to its system."),
            shares=(
                (percent(c.cameras_connected, c.cameras_registered), _("of registered")),
                (c.percent_planned_connected, _("of planned")),
            ),
            delta=_delta(grand, "cameras_connected"),
        ),
        Figure(
            key="cameras_online",
            label=_("Cameras online"),
            value=c.cameras_online,
            definition=_(
                "Registered cameras whose last check got a picture (below the standard "
                "included), connected or not."
            ),
            delta=_delta(grand, "cameras_online"),
        ),
        Figure(
            key="cameras_registered",
            label=_("Cameras registered"),
            value=c.cameras_registered,
            definition=_(
                "Cameras of facilities not closed, decommissioned cameras left out; every "
                "other figure counts among them."
            ),
            note=_("%(n)s planned") % {"n": charts.grouped(c.cameras_planned)},
        ),
    ]
    registered = Term("cameras_registered", _("cameras registered"), c.cameras_registered)
    eligible = Term("cameras_eligible", _("eligible"), c.cameras_eligible)
    connected = Term("cameras_connected", _("connected"), c.cameras_connected)
    online = Term("cameras_online", _("online (below the standard included)"), c.cameras_online)
    offline = Term("cameras_offline", _("offline"), c.cameras_offline)
    sums = []
    if breakdown is not None:
        s = breakdown.statuses
        sums.append(
            Addition(
                Term(
                    "cameras_in_registry",
                    _("cameras in the registry"),
                    breakdown.counted + breakdown.decommissioned + breakdown.in_closed,
                ),
                [
                    Term("cameras_registered", _("registered"), breakdown.counted),
                    Term("cameras_decommissioned", _("decommissioned"), breakdown.decommissioned),
                    Term("cameras_in_closed", _("in closed facilities"), breakdown.in_closed),
                ],
            )
        )
        sums.append(
            Addition(
                registered,
                [
                    Term(
                        "cameras_unchecked",
                        _("not yet checked"),
                        s[ConnectionStatus.REGISTERED],
                    ),
                    eligible,
                    Term("cameras_ineligible", _("ineligible"), s[ConnectionStatus.INELIGIBLE]),
                ],
            )
        )
        sums.append(
            Addition(
                eligible,
                [
                    Term(
                        "cameras_waiting",
                        _("waiting for the operator"),
                        s[ConnectionStatus.ELIGIBLE],
                    ),
                    connected,
                    Term("cameras_suspended", _("suspended"), s[ConnectionStatus.SUSPENDED]),
                ],
            )
        )
        of_connected = breakdown.health_of([ConnectionStatus.CONNECTED])
        sums.append(
            Addition(
                connected,
                [
                    Term(
                        "connected_online",
                        _("online"),
                        sum(of_connected[h] for h in ONLINE_HEALTH),
                    ),
                    Term("connected_offline", _("offline"), of_connected[Health.OFFLINE]),
                    Term(
                        "connected_unknown",
                        _("health not yet known"),
                        of_connected[Health.UNKNOWN],
                    ),
                ],
            )
        )
        of_all = breakdown.health_of(s)
        unknown = Term("cameras_health_unknown", _("health not yet known"), of_all[Health.UNKNOWN])
    else:
        sums.append(
            Addition(
                registered,
                [
                    Term(
                        "cameras_unchecked",
                        _("not yet checked"),
                        c.cameras_registered - c.cameras_eligible - c.cameras_ineligible,
                        derived=True,
                    ),
                    eligible,
                    Term("cameras_ineligible", _("ineligible"), c.cameras_ineligible),
                ],
            )
        )
        sums.append(
            Addition(
                eligible,
                [
                    connected,
                    Term(
                        "cameras_eligible_not_connected",
                        _("not connected (waiting or suspended)"),
                        c.cameras_eligible - c.cameras_connected,
                        derived=True,
                    ),
                ],
            )
        )
        unknown = Term(
            "cameras_health_unknown",
            _("health not yet known"),
            c.cameras_registered - c.cameras_online - c.cameras_offline,
            derived=True,
        )
    sums.append(Addition(registered, [online, offline, unknown]))
    sums.append(
        Addition(
            Term("facilities", _("facilities (not closed)"), c.facilities),
            [
                Term(
                    "facilities_connected",
                    _("with a connected camera"),
                    c.facilities_connected,
                ),
                Term(
                    "facilities_not_connected",
                    _("without one"),
                    c.facilities - c.facilities_connected,
                    derived=True,
                ),
            ],
        )
    )
    return figures, sums


# --- The province table: columns, sorting, provinces with nothing registered -------------------


@dataclasses.dataclass(frozen=True)
class Column:
    """A figure column of the progress tables: the Counts attribute (or property) named `key`,
    or the registered counter at `counter` in Line.extra."""

    key: str
    heading: str  # short, under its group's heading
    label: str  # the full name: the phone layout's label of a cell
    definition: str  # the heading's tooltip
    group: str = "cameras"
    delta: bool = False
    percent: bool = False
    counter: int | None = None  # index in Line.extra


FIGURE_COLUMNS = (
    Column(
        "facilities",
        gettext_lazy("Total"),
        gettext_lazy("Facilities"),
        gettext_lazy("Facilities not closed"),
        group="facilities",
    ),
    Column(
        "facilities_connected",
        gettext_lazy("Connected"),
        gettext_lazy("Facilities connected"),
        gettext_lazy("Facilities with at least one connected camera"),
        group="facilities",
        delta=True,
    ),
    Column(
        "percent_facilities_connected",
        "%",
        gettext_lazy("Share of facilities connected"),
        gettext_lazy("Facilities connected ÷ facilities"),
        group="facilities",
        percent=True,
    ),
    Column(
        "cameras_registered",
        gettext_lazy("Registered"),
        gettext_lazy("Cameras registered"),
        gettext_lazy("Cameras of facilities not closed, decommissioned cameras left out"),
    ),
    Column(
        "cameras_eligible",
        gettext_lazy("Eligible"),
        gettext_lazy("Eligible"),
        gettext_lazy("Passed the standard: waiting for the operator, connected or suspended"),
    ),
    Column(
        "cameras_ineligible",
        gettext_lazy("Ineligible"),
        gettext_lazy("Ineligible"),
        gettext_lazy("Failed the connection standard at the last verdict"),
    ),
    Column(
        "cameras_connected",
        gettext_lazy("Connected"),
        gettext_lazy("Connected"),
        gettext_lazy("Connected by the province's operator"),
        delta=True,
    ),
    Column(
        "cameras_online",
        gettext_lazy("Online"),
        gettext_lazy("Online"),
        gettext_lazy(
            "The last check got a picture (below the standard included), connected or not"
        ),
        delta=True,
    ),
    Column(
        "cameras_offline",
        gettext_lazy("Offline"),
        gettext_lazy("Offline"),
        gettext_lazy("The last checks got no picture"),
    ),
    Column(
        "cameras_planned",
        gettext_lazy("Planned"),
        gettext_lazy("Planned"),
        gettext_lazy("Cameras the facilities plan to install"),
    ),
    Column(
        "percent_planned_connected",
        # No "%" at the start of a message: gettext tools read "% o" as a format.
        pgettext_lazy("progress column", "Share of plan"),
        gettext_lazy("Share of planned cameras connected"),
        gettext_lazy("Cameras connected ÷ cameras planned"),
        percent=True,
    ),
)

# Sorting by these puts the province's name, code or operator in order; the figure columns'
# keys sort by their figure.
TEXT_SORTS = ("code", "name", "operator")
DEFAULT_SORT = "code"


def table_columns(counter_list=()):
    """The figure columns, then one per registered counter (live pages)."""
    return [
        *FIGURE_COLUMNS,
        *(
            Column(f"counter-{c.key}", c.label, c.label, c.label, group="other", counter=i)
            for i, c in enumerate(counter_list)
        ),
    ]


def value_of(line, column):
    if column.counter is not None:
        return line.extra[column.counter][1] if column.counter < len(line.extra) else 0
    return getattr(line.counts, column.key)


def parse_sort(raw, columns):
    """(key, descending) of a ?sort= value ("cameras_connected", "-name"...), whitelisted:
    anything else is the default order (by province code)."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw[1:] if descending else raw
    if key in TEXT_SORTS or key in {column.key for column in columns}:
        return key, descending
    return DEFAULT_SORT, False


def sort_lines(lines, key, descending, columns):
    """The province lines in the order asked for; ties (and a missing percentage, always last)
    in province code order."""
    if key == "code":
        return sorted(lines, key=lambda line: line.province.code, reverse=descending)
    if key == "name":
        return sorted(
            lines,
            key=lambda line: (collation_key(line.label), line.province.code),
            reverse=descending,
        )
    if key == "operator":
        primary = sorted(lines, key=lambda line: line.province.code)
        return sorted(
            primary, key=lambda line: collation_key(str(line.operator_label)), reverse=descending
        )
    column = next(column for column in columns if column.key == key)
    by_code = sorted(lines, key=lambda line: line.province.code)
    present = [line for line in by_code if value_of(line, column) is not None]
    missing = [line for line in by_code if value_of(line, column) is None]
    # sorted() is stable, so equal figures keep the code order in both directions.
    return sorted(present, key=lambda line: value_of(line, column), reverse=descending) + missing


def is_empty(line):
    """A province with nothing registered: no facility, camera or plan, no counter, and nothing
    to compare with (a province that had figures yesterday stays, its drop is news)."""
    return (
        not any(line.counts.as_tuple())
        and not any(number for _label, number in line.extra)
        and not (line.previous is not None and any(line.previous.as_tuple()))
    )


@dataclasses.dataclass
class Heading:
    """A sortable column heading: `sort` the ?sort= value its link asks for."""

    column: Column | None
    key: str
    label: str
    title: str
    sort: str
    state: str = ""  # "ascending" / "descending" when the table is sorted by it

    @property
    def arrow(self):
        return {"ascending": "▲", "descending": "▼"}.get(self.state, "")


def headings(columns, key, descending):
    """The sortable headings of the province table, each linking to its next order: figures
    largest first, text A to Z first, the column in use in the other direction."""
    result = []
    texts = (
        ("code", _("Code"), _("Province code")),
        ("name", _("Province"), _("Province")),
        ("operator", _("Operator"), _("Operator serving the province")),
    )
    specs = [(None, k, label, title, False) for k, label, title in texts] + [
        (c, c.key, c.heading, c.definition, True) for c in columns
    ]
    for column, k, label, title, numeric in specs:
        state = ""
        if k == key:
            state = "descending" if descending else "ascending"
            next_descending = not descending
        else:
            next_descending = numeric
        result.append(
            Heading(
                column=column,
                key=k,
                label=label,
                title=title,
                sort=("-" if next_descending else "") + k,
                state=state,
            )
        )
    return result


def province_table(lines, *, sort=None, show_all=False, counter_list=(), hide_empty=True):
    """What the province table shows: its headings, the lines in the order asked for, and how
    many provinces with nothing registered are left out (all listed when show_all, or when not
    hide_empty: a province's own page)."""
    columns = table_columns(counter_list)
    key, descending = parse_sort(sort, columns)
    empty = sum(1 for line in lines if is_empty(line)) if hide_empty else 0
    shown = lines
    if hide_empty and not show_all:
        shown = [line for line in lines if not is_empty(line)]
    return {
        "columns": columns,
        "headings": headings(columns, key, descending),
        "groups": _column_groups(columns),
        "rows": sort_lines(shown, key, descending, columns),
        # Provinces with nothing registered: how many, and how many of them are not listed.
        "empty": empty,
        "hidden": len(lines) - len(shown),
        "show_all": show_all,
        "provinces": len(lines),
    }


def _column_groups(columns):
    """[(label, span)] of the table's first heading row over the figure columns."""
    names = {
        "facilities": _("Facilities"),
        "cameras": _("Cameras"),
        # Counters of other apps are named by their own headings.
        "other": "",
    }
    groups = []
    for column in columns:
        if groups and groups[-1][0] == column.group:
            groups[-1][2] += 1
        else:
            groups.append([column.group, names[column.group], 1])
    return [(label, span) for _group, label, span in groups]


def placement_counts(breakdown):
    """Placement reviews (approved, rejected, not reviewed) of the counted cameras and those whose
    latest picture has a warning; live figures only (a stored day keeps none)."""
    if breakdown is None:
        return None
    reviews = breakdown.reviews
    return {
        "approved": reviews[PlacementState.APPROVED],
        "rejected": reviews[PlacementState.REJECTED],
        "not_reviewed": reviews[PlacementState.NOT_REVIEWED],
        "picture_warned": breakdown.picture_warned,
    }


def build(
    *,
    provinces,
    facilities,
    cameras,
    snapshots,
    today,
    day=None,
    sort=None,
    show_all=False,
    hide_empty=True,
):
    """The dashboard's data: live counts for today (day None) or the stored snapshot of `day`.

    provinces: the viewer's Province objects in display order.
    facilities, cameras, snapshots: querysets already scoped to the viewer.
    sort: the ?sort= of the province table (whitelisted); show_all: also the provinces with
    nothing registered, which the table leaves out when hide_empty.
    """
    provinces = list(provinces)
    live = day is None
    shown_day = today if live else day
    if live:
        counts, breakdowns = live_counts(facilities, cameras)
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
    breakdown = None
    if live:
        ids = {p.pk for p in provinces}
        breakdown = sum((b for pk, b in breakdowns.items() if pk in ids), Breakdown())
    figures, sums = headline(grand, breakdown)
    counter_list = [counter for counter, _values in extra_columns]
    return {
        "table": province_table(
            lines,
            sort=sort,
            show_all=show_all,
            counter_list=counter_list,
            hide_empty=hide_empty and len(lines) > 1,
        ),
        "figures": figures,
        "sums": sums,
        "placement": placement_counts(breakdown),
        "subtotal_columns": FIGURE_COLUMNS,
        "subtotal_headings": headings(FIGURE_COLUMNS, "", False),
        "subtotal_groups": _column_groups(FIGURE_COLUMNS),
        "live": live,
        "day": shown_day,
        "stored": stored,
        "taken_at": taken_at,
        "previous_day": previous_day,
        "lines": lines,
        "by_operator": by_operator,
        "by_region": by_region,
        "grand": grand,
        "counters": counter_list,
        "deadline": deadline_as_of(shown_day),
        "trend_days": list(zip(days, connected, online, strict=True)),
        "trend_chart": chart,
        "trend_length": TREND_DAYS,
    }
