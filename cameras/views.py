"""Read-only pages of the cameras app: the connection standard a camera must meet."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

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
