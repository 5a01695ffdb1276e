"""Query helpers shared by list pages, reports and exports."""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def count_of(queryset, outer_field, aggregate=None):
    """A correlated COUNT(*) (or `aggregate`) of `queryset` rows whose `outer_field` is the
    outer row.

    For what must sort or filter a whole list by a count (the admin's sortable count columns,
    the facility list's "registered against planned" filter): the database runs it for every
    row of the list, so a page that only shows counts uses `grouped_counts` for its own rows.
    """
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=aggregate or Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def as_aggregate(count):
    """A figure's aggregate: a Q counts the rows it admits, None every row, an aggregate itself
    (`Count("cameras")` over a join) is used as is."""
    if count is None or isinstance(count, Q):
        return Count("pk", filter=count)
    return count


def grouped_counts(queryset, field, keys, **counts):
    """{key: {name: count}} of the `queryset` rows whose `field` is one of `keys`: ONE query.

    counts: name -> what `as_aggregate` takes. A key without rows is absent. One GROUP BY over
    the rows of a page (a list's 50 facilities), instead of a correlated subquery per counted
    figure and per row: at 100,000 cameras, the facility page's three correlated counts each
    repeated the whole scope (2 to 5 s on PostgreSQL; measured in bench/README.md, "Pages at
    national scale").
    """
    keys = list(keys)
    if not keys:
        return {}
    rows = (
        queryset.filter(**{f"{field}__in": keys})
        .order_by()
        .values(field)
        .annotate(**{name: as_aggregate(count) for name, count in counts.items()})
    )
    return {row.pop(field): row for row in rows}


def attach_counts(objects, counted, names):
    """Set each of `names` on every object from `counted` ({pk: {name: count}}, as
    `grouped_counts` returns), 0 where it has none."""
    for obj in objects:
        found = counted.get(obj.pk, {})
        for name in names:
            setattr(obj, name, found.get(name, 0))
    return objects
