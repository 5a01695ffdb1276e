"""Read-only pages for facility managers (and anyone whose scope covers a facility)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from cameras.choices import ConnectionStatus
from cameras.models import Camera
from facilities import access
from facilities.models import Facility
from portal.account_events import record_event
from portal.query import attach_counts, grouped_counts
from reports import facility_summary
from reports.snapshot import ONLINE_HEALTH

# Facilities per page of /facilities/: a national reader's list runs to 10,000 (4 MB of HTML
# and 2 s unpaginated, bench/README.md); a facility manager's fits on one page.
FACILITIES_PER_PAGE = 50


@login_required
def my_facilities(request):
    facilities = (
        Facility.objects.restrict(request.user, access.VIEW)
        .select_related("province")
        .order_by("province__code", "name", "pk")
    )
    page = Paginator(facilities, FACILITIES_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # The page's own facilities counted in one grouped query, within the same scope.
    cameras = Camera.objects.restrict(request.user, access.VIEW).exclude(
        connection_status=ConnectionStatus.DECOMMISSIONED
    )
    counted = grouped_counts(
        cameras,
        "facility",
        [facility.pk for facility in rows],
        camera_total=None,
        connected_total=Q(connection_status=ConnectionStatus.CONNECTED),
        online_total=Q(state__health__in=ONLINE_HEALTH),
    )
    attach_counts(rows, counted, ["camera_total", "connected_total", "online_total"])
    return render(
        request, "facilities/my_facilities.html", {"facilities": rows, "page": page}
    )


@login_required
def facility_detail(request, pk):
    # Another facility's id gives 404, exactly as a facility that does not exist.
    facility = get_object_or_404(
        Facility.objects.restrict(request.user, access.VIEW).select_related("province"), pk=pk
    )
    cameras = list(
        Camera.objects.restrict(request.user, access.VIEW)
        .filter(facility=facility)
        .select_related("state")
        .only(
            "id", "name", "zone", "connection_status", "status_reason", "facility_id",
            "state__health", "state__last_checked_at", "state__last_error_kind",
        )
        .order_by("name")
    )
    record_event("view", request, target=facility)
    context = {
        "facility": facility,
        "province": facility.province,
        "cameras": cameras,
        # Counted from the list above: the summary costs no query.
        "summary": facility_summary.summarise(cameras, facility.planned_cameras),
    }
    return render(request, "facilities/facility_detail.html", context)
