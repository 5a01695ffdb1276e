"""The national view of the operators' readiness and its CSV export (thin: readiness/status.py
does the work)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from facilities import access
from facilities.choices import Operator, Region
from facilities.models import Province
from portal.account_events import record_event
from readiness import exports, status
from readiness.choices import EquipmentKind, Readiness


def _overview(request):
    """The scoped lines and totals; national officials and administrators see every province,
    province roles their own, others (facility managers, accounts without a grant) nothing."""
    if not access.has_any_scope(request.user, access.VIEW):
        raise PermissionDenied(
            _("The readiness plans are for the provinces, the operators and the Department.")
        )
    today = timezone.localdate()
    lines = status.lines(Province.objects.restrict(request.user, access.VIEW), today)
    return {
        "today": today,
        "lines": lines,
        "not_ready": [line for line in lines if line.status != Readiness.READY],
        "by_operator": status.totals(lines, "operator", Operator.choices),
        "by_region": status.totals(lines, "region", Region.choices),
        "kinds": EquipmentKind.labels,
        "review_days": settings.READINESS_REVIEW_DAYS,
    }


@login_required
@require_safe
def overview(request):
    context = _overview(request)
    context["can_edit"] = access.has_any_scope(request.user, access.CONNECT)
    return render(request, "readiness/overview.html", context)


def _audited(request, stream, language):
    """The stream's pieces, then one account event with the rows written."""
    complete = False
    try:
        with translation.override(language):
            yield from stream
        complete = True
    finally:
        detail = {"export": "readiness", "format": "csv", "rows": stream.count}
        if not complete:
            detail["complete"] = False
        record_event("export", request, detail=detail)


@login_required
@require_safe
def export_csv(request):
    context = _overview(request)
    stream = exports.readiness_csv(context["lines"], context["by_operator"], context["by_region"])
    response = StreamingHttpResponse(
        _audited(request, stream, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="readiness-{context["today"].isoformat()}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response
