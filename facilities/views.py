"""Read-only pages for facility managers (and anyone whose scope covers a facility)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from cameras.choices import ConnectionStatus
from cameras.models import Camera
from facilities import access
from facilities.models import Facility
from portal.account_events import record_event
from portal.query import count_of
from reports import facility_summary


@login_required
def my_facilities(request):
    cameras = Camera.objects.restrict(request.user, access.VIEW).exclude(
        connection_status=ConnectionStatus.DECOMMISSIONED
    )
    facilities = (
        Facility.objects.restrict(request.user, access.VIEW)
        .select_related("province")
        .annotate(
            camera_total=count_of(cameras, "facility"),
            connected_total=count_of(
                cameras.filter(connection_status=ConnectionStatus.CONNECTED), "facility"
            ),
            online_total=count_of(
                cameras.filter(state__health__in=["online", "degraded"]), "facility"
            ),
        )
    )
    return render(request, "facilities/my_facilities.html", {"facilities": facilities})


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
