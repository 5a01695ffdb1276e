"""Facilities not yet connected, and why: what stands between each of them and a connection.

The reasons come from the cameras' connection status (and its status_reason for ineligible or
suspended cameras) and, from their check state, the kind of the last stream error. A fixed number
of queries whatever the number of facilities: one count, one annotated page, one GROUP BY of
reasons.
"""

import dataclasses

from django.db.models import Count, Q

from cameras.choices import ConnectionStatus
from cameras.models import Camera
from reports.snapshot import ONLINE_HEALTH, counted_facilities, has_connected_camera

# Error kinds of cameras/probe.py, grouped as the operators act on them.
WRONG_CREDENTIALS = ("unauthorized", "forbidden")
UNREACHABLE = ("timeout", "refused", "dns")
STREAM_ERRORS = ("not_found", "no_video", "server_error", "redirect", "invalid")


@dataclasses.dataclass
class Blocked:
    """One facility without any connected camera, with its cameras counted by obstacle."""

    facility: object
    cameras: int
    unchecked: int
    eligible: int
    ineligible: int
    suspended: int
    unreachable: int
    wrong_credentials: int
    stream_error: int
    reasons: list = dataclasses.field(default_factory=list)


def blocked_facilities(facilities):
    """The (scoped) facilities counted in the report that have no connected camera, in
    province and name order."""
    return (
        counted_facilities(facilities)
        .exclude(has_connected_camera())
        .select_related("province")
        .order_by("province__code", "name", "pk")
    )


def not_connected(facilities, *, limit, offset=0, cameras=None, total=None):
    """(total, [Blocked]) of the (scoped) facilities with no connected camera: `limit` of them
    from `offset` on, in province and name order. total: their number when the caller has
    counted them already (a paginated list), else counted here.

    cameras: the viewer's scoped camera queryset, read for the ineligibility reasons.

    Error counts only take cameras that are not currently online: a stale error of a camera that
    answers again is not an obstacle.
    """
    live = ~Q(cameras__connection_status=ConnectionStatus.DECOMMISSIONED)
    failing = live & ~Q(cameras__state__health__in=ONLINE_HEALTH)
    queryset = blocked_facilities(facilities)
    if total is None:
        total = queryset.count()
    page = list(
        queryset.annotate(
            n_cameras=Count("cameras", filter=live),
            n_unchecked=Count(
                "cameras", filter=Q(cameras__connection_status=ConnectionStatus.REGISTERED)
            ),
            n_eligible=Count(
                "cameras", filter=Q(cameras__connection_status=ConnectionStatus.ELIGIBLE)
            ),
            n_ineligible=Count(
                "cameras", filter=Q(cameras__connection_status=ConnectionStatus.INELIGIBLE)
            ),
            n_suspended=Count(
                "cameras", filter=Q(cameras__connection_status=ConnectionStatus.SUSPENDED)
            ),
            n_unreachable=Count(
                "cameras", filter=failing & Q(cameras__state__last_error_kind__in=UNREACHABLE)
            ),
            n_credentials=Count(
                "cameras",
                filter=failing & Q(cameras__state__last_error_kind__in=WRONG_CREDENTIALS),
            ),
            n_stream_error=Count(
                "cameras", filter=failing & Q(cameras__state__last_error_kind__in=STREAM_ERRORS)
            ),
        )[offset : offset + limit]
    )
    blocked = {
        f.pk: Blocked(
            facility=f,
            cameras=f.n_cameras,
            unchecked=f.n_unchecked,
            eligible=f.n_eligible,
            ineligible=f.n_ineligible,
            suspended=f.n_suspended,
            unreachable=f.n_unreachable,
            wrong_credentials=f.n_credentials,
            stream_error=f.n_stream_error,
        )
        for f in page
    }
    if blocked:
        labels = dict(ConnectionStatus.choices)
        reasons = (
            (Camera.objects.all() if cameras is None else cameras)
            .filter(
                facility_id__in=list(blocked),
                connection_status__in=(ConnectionStatus.INELIGIBLE, ConnectionStatus.SUSPENDED),
            )
            .exclude(status_reason="")
            .order_by()
            .values("facility_id", "connection_status", "status_reason")
            .annotate(n=Count("pk"))
            .order_by("facility_id", "-n", "status_reason")
        )
        for row in reasons:
            blocked[row["facility_id"]].reasons.append(
                (labels[row["connection_status"]], row["status_reason"], row["n"])
            )
    return total, list(blocked.values())
