"""Read-only pages of the cameras app: the connection standard a camera must meet, and the
progress of the checks a person asked for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cameras import check_status as progress
from cameras import conf, placement, snapshots
from cameras.choices import PlacementDecision, PlacementRejection, Zone
from cameras.models import Camera, CameraSnapshot, ConnectionStandard, PlacementReview
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


# Pictures per page of the placement review: each is a request (and an account event) of its
# own, loaded lazily as the page scrolls.
REVIEW_PER_PAGE = 24
REVIEW_STATES = ("none", PlacementDecision.APPROVED, PlacementDecision.REJECTED)


def _reviewable(user):
    """Cameras `user` may review: those it may change (a province admin's) and whose pictures
    it may see."""
    changeable = Camera.objects.restrict(user, access.CHANGE)
    return Camera.objects.restrict_pictures(user).filter(pk__in=changeable.values("pk"))


def _require_reviewer(request):
    if not twofactor.is_verified(request.session):
        raise PermissionDenied(_("Seeing camera pictures needs two-factor sign-in."))
    if not (access.is_national_admin(request.user) or access.has_any_scope(
        request.user, access.CHANGE
    )):
        raise PermissionDenied


@login_required
@require_GET
def placement_review(request):
    """The latest picture of each camera a province admin may review, to approve or reject its
    placement; filtered by facility, zone and review state, paged."""
    _require_reviewer(request)
    snapshots_of = CameraSnapshot.objects.filter(camera=OuterRef("pk")).order_by(
        "-taken_at", "-pk"
    )
    reviews_of = PlacementReview.objects.filter(camera=OuterRef("pk")).order_by("-at", "-pk")
    cameras = (
        _reviewable(request.user)
        # Cameras with a picture first (a semi-join on the snapshots, a few per camera), then
        # the newest picture of each of them: not a subquery for every camera in scope.
        .filter(pk__in=CameraSnapshot.objects.values("camera_id"))
        .annotate(
            snapshot_id=Subquery(snapshots_of.values("pk")[:1]),
            review_decision=Subquery(reviews_of.values("decision")[:1]),
        )
        .select_related("facility")
        .order_by("facility__name", "name", "pk")
    )
    # The facilities to filter by: those with a picture to review (a national administrator's
    # 10,000 facilities made the page 509 KiB and 320 ms at 100,000 cameras), names only.
    facilities = (
        Facility.objects.restrict(request.user, access.CHANGE)
        .filter(pk__in=CameraSnapshot.objects.values("camera__facility_id"))
        .only("pk", "name")
        .order_by("name")
    )
    chosen = {
        "facility": request.GET.get("facility", ""),
        "zone": request.GET.get("zone", ""),
        "state": request.GET.get("state", ""),
    }
    if chosen["facility"].isdigit():
        cameras = cameras.filter(facility_id=int(chosen["facility"]))
    if chosen["zone"] in Zone.values:
        cameras = cameras.filter(zone=chosen["zone"])
    if chosen["state"] == "none":
        cameras = cameras.filter(review_decision__isnull=True)
    elif chosen["state"] in PlacementDecision.values:
        cameras = cameras.filter(review_decision=chosen["state"])
    page = Paginator(cameras, REVIEW_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    pictures = CameraSnapshot.objects.in_bulk([row.snapshot_id for row in rows])
    latest_reviews = {}
    reviews = PlacementReview.objects.filter(camera__in=rows)
    for entry in reviews.order_by("camera_id", "-at", "-pk"):
        latest_reviews.setdefault(entry.camera_id, entry)
    cards = [
        {
            "camera": row,
            "snapshot": pictures[row.snapshot_id],
            "review": latest_reviews.get(row.pk),
        }
        for row in rows
    ]
    return render(
        request,
        "cameras/placement_review.html",
        {
            "page": page,
            "cards": cards,
            "facilities": facilities,
            "zones": Zone.choices,
            "states": [
                ("none", _("Not reviewed")),
                (PlacementDecision.APPROVED, PlacementDecision.APPROVED.label),
                (PlacementDecision.REJECTED, PlacementDecision.REJECTED.label),
            ],
            "chosen": chosen,
            "reasons": PlacementRejection.choices,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_POST
def placement_decide(request, pk):
    """Approve or reject the placement of camera `pk` from one of its pictures."""
    _require_reviewer(request)
    camera = _reviewable(request.user).select_related("facility").filter(pk=pk).first()
    if camera is None:
        raise Http404
    snapshot = CameraSnapshot.objects.filter(
        camera=camera, pk=request.POST.get("snapshot") or 0
    ).first()
    if snapshot is None:
        messages.error(request, _("This picture is gone: the page showed an older one."))
    else:
        try:
            placement.review(
                camera,
                snapshot,
                request.user,
                request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", "")[:500],
            )
        except placement.Refused as refused:
            messages.error(request, f"{camera.name}: {refused.message}")
        else:
            messages.success(request, _("%(camera)s: review saved.") % {"camera": camera.name})
    query = request.POST.get("query", "")
    back = reverse("placement_review")
    return redirect(f"{back}?{query}" if query and "//" not in query else back)
