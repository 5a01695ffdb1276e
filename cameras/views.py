"""Read-only pages of the cameras app: the connection standard a camera must meet, and the
progress of the checks a person asked for."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cameras import check_status as progress
from cameras import conf
from cameras.choices import Zone
from cameras.models import ConnectionStandard
from facilities import access
from facilities.models import Facility


def _has_some_scope(user):
    return (
        access.is_national_viewer(user)
        or access.has_any_scope(user, access.VIEW)
        or Facility.objects.restrict(user, access.VIEW).exists()
    )


@login_required
def connection_standard(request):
    """The active standard and the placement zones, for anyone holding some scope.

    The page shows rules only, no registry data; it is still closed to accounts without any
    grant, like every page of the portal.
    """
    if not _has_some_scope(request.user):
        raise PermissionDenied
    standard = ConnectionStandard.current()
    return render(
        request,
        "cameras/standard.html",
        {
            "standard": standard,
            "codecs": standard.codec_labels(),
            "schemes": [f"{scheme}://" for scheme in standard.schemes],
            "zones": Zone.choices,
            "interval": conf.interval_minutes(),
            "offline_after": conf.offline_after(),
        },
    )


@login_required
@require_GET
def check_status(request):
    """The last check of the cameras `ids` the user may read, for the page polling while its
    checks run (cameras/check_status.py); cameras outside the scope are absent.

    GET ids=1,2,3 (at most 200) and since=ISO time of the request (optional): with it, each
    camera says whether its result is still `pending`.
    """
    ids = progress.parse_ids(request.GET.get("ids", ""))
    since = progress.parse_since(request.GET.get("since"))
    rows = progress.facts(request.user, ids, since) if ids else []
    response = JsonResponse({"cameras": rows})
    # Fresh on every poll, and never kept by a shared cache.
    response["Cache-Control"] = "no-store"
    return response
