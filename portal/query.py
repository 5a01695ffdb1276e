"""Query helpers shared by list pages, reports and exports."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_of(queryset, outer_field):
    """A correlated COUNT(*) of `queryset` rows whose `outer_field` is the outer row.

    A subquery per counted relation keeps counts right when several are annotated together
    (joins would multiply them) and costs one query for the whole list, whatever its length.
    """
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
