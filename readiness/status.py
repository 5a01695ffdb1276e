"""Which provinces are ready, and what their operators hold: the national view, its export and
the dashboards' counter read it here, each in a fixed number of queries whatever the size.

A province is ready when it has a plan that an engineer confirmed current within
READINESS_REVIEW_DAYS days; without a plan, or reviewed longer ago (or never), it is not.
"""

import dataclasses
import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from facilities.models import Province
from readiness.choices import EquipmentKind, Readiness
from readiness.models import EquipmentItem, ReadinessPlan, ResponseTeam


def review_cutoff(today=None):
    """The earliest review date that still counts as current."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.READINESS_REVIEW_DAYS)


def not_ready_q(today=None, prefix=""):
    """Q on provinces (or, with `prefix`, on rows reaching them) that are not ready."""
    plan = f"{prefix}readiness_plan"
    return (
        Q(**{f"{plan}__isnull": True})
        | Q(**{f"{plan}__last_reviewed_on__isnull": True})
        | Q(**{f"{plan}__last_reviewed_on__lt": review_cutoff(today)})
    )


def not_ready_counts(province_ids):
    """Dashboard counter (reports/counters.py): {province id: 1} for the provinces of
    `province_ids` that are not ready, in one query; the total line sums them."""
    ids = Province.objects.filter(not_ready_q(), pk__in=list(province_ids)).values_list(
        "pk", flat=True
    )
    return {pk: 1 for pk in ids}


@dataclasses.dataclass
class ProvinceReadiness:
    """One province's line of the national view."""

    province: Province
    plan: ReadinessPlan | None
    status: str
    teams: int = 0
    people: int = 0
    equipment: dict = dataclasses.field(default_factory=dict)

    @property
    def status_label(self):
        return Readiness(self.status).label

    @property
    def equipment_list(self):
        return [self.equipment.get(kind, 0) for kind in EquipmentKind.values]


@dataclasses.dataclass
class Totals:
    """Equipment, teams and people summed over a group of provinces (an operator, a region)."""

    key: str
    label: str
    provinces: int = 0
    not_ready: int = 0
    teams: int = 0
    people: int = 0
    equipment: dict = dataclasses.field(default_factory=dict)

    def add(self, line):
        self.provinces += 1
        self.not_ready += line.status != Readiness.READY
        self.teams += line.teams
        self.people += line.people
        for kind, count in line.equipment.items():
            self.equipment[kind] = self.equipment.get(kind, 0) + count

    @property
    def equipment_list(self):
        return [self.equipment.get(kind, 0) for kind in EquipmentKind.values]


def lines(provinces, today=None):
    """[ProvinceReadiness] of `provinces` (already scoped), in three queries: the provinces with
    their plans, the teams and the equipment, both grouped by plan."""
    cutoff = review_cutoff(today)
    provinces = list(provinces.select_related("readiness_plan").order_by("code"))
    plans = {}
    for province in provinces:
        plan = getattr(province, "readiness_plan", None)
        if plan is not None:
            plans[plan.pk] = plan
    teams = defaultdict(lambda: (0, 0))
    equipment = defaultdict(dict)
    if plans:
        for row in (
            ResponseTeam.objects.filter(plan_id__in=plans)
            .values("plan_id")
            .annotate(n=Count("pk"), people=Sum("size"))
            .order_by()
        ):
            teams[row["plan_id"]] = (row["n"], row["people"] or 0)
        for row in (
            EquipmentItem.objects.filter(plan_id__in=plans)
            .values("plan_id", "kind")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            equipment[row["plan_id"]][row["kind"]] = row["n"] or 0
    result = []
    for province in provinces:
        plan = getattr(province, "readiness_plan", None)
        if plan is None:
            result.append(ProvinceReadiness(province, None, Readiness.NO_PLAN))
            continue
        reviewed = plan.last_reviewed_on is not None and plan.last_reviewed_on >= cutoff
        n, people = teams[plan.pk]
        result.append(
            ProvinceReadiness(
                province,
                plan,
                Readiness.READY if reviewed else Readiness.NOT_REVIEWED,
                teams=n,
                people=people,
                equipment=dict(equipment[plan.pk]),
            )
        )
    return result


def totals(lines_, field, choices):
    """[Totals] of `lines_` grouped by the province's `field` ("operator", "region"), in the
    order of `choices`, groups with no province left out."""
    groups = {value: Totals(value, label) for value, label in choices}
    for line in lines_:
        groups[getattr(line.province, field)].add(line)
    return [group for group in groups.values() if group.provinces]
