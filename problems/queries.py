"""The report querysets the pages read: always from `ProblemReport.objects.restrict`."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from facilities import access
from problems.models import ProblemReply, ProblemReport


def visible(user):
    return ProblemReport.objects.restrict(user, access.VIEW)


def listed(user):
    """The list's rows with what its columns show, the reply count as a subquery (no N+1)."""
    replies = (
        ProblemReply.objects.filter(report=OuterRef("pk"))
        .order_by()
        .values("report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        visible(user)
        .select_related("province", "facility", "camera", "author", "assignee")
        .annotate(reply_count=Coalesce(Subquery(replies), 0))
    )


def open_counts(province_ids):
    """{province id: reports open or answered} for the dashboards, in one grouped query."""
    from problems.choices import UNSETTLED

    rows = (
        ProblemReport.objects.filter(province_id__in=list(province_ids), status__in=UNSETTLED)
        .order_by()
        .values_list("province_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)
