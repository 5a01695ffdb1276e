"""Read-only pages of the cameras app: the connection standard a camera must meet, and the
progress of the checks a person asked for."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cameras import check_status as progress
from cameras import conf, snapshots
from cameras.choices import Zone
from cameras.models import CameraSnapshot, ConnectionStandard
from facilities import access
from facilities.models import Facility
from portal import sealed_files, twofactor
from portal.account_events import record_event
from portal.models import AccountEventKind


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


@login_required
@require_GET
def snapshot_picture(request, pk):
    """One camera picture, for those who may see it (facilities/access.py, `restrict_pictures`),
    after the second factor, with their name and the time drawn in; every look is an account
    event. Never cached, never sent on as a referrer.
    """
    if not twofactor.is_verified(request.session):
        raise PermissionDenied(_("Seeing camera pictures needs two-factor sign-in."))
    snapshot = (
        CameraSnapshot.objects.visible_to(request.user)
        .select_related("camera__facility")
        .filter(pk=pk)
        .first()
    )
    if snapshot is None:
        # Outside the scope and gone alike: nothing tells one from the other.
        raise Http404
    try:
        jpeg = snapshots.read(snapshot)
    except (OSError, sealed_files.UnreadableFile):
        raise Http404 from None
    now = timezone.now()
    record_event(
        AccountEventKind.SNAPSHOT_VIEWED,
        request,
        target=snapshot.camera,
        detail={"snapshot": snapshot.pk, "taken_at": snapshot.taken_at.isoformat()},
    )
    response = HttpResponse(
        snapshots.served(jpeg, request.user.get_username(), now), content_type="image/jpeg"
    )
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
