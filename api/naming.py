"""The names the browsable API gives its pages (REST_FRAMEWORK["VIEW_NAME_FUNCTION"]), in the
reader's language: DRF derives them from the class names ("Camera List"), in English."""

from django.utils.translation import gettext_lazy as _
from rest_framework.views import get_view_name as drf_view_name

# View class -> (the list's name, one item's name), or the one name of a single view.
NAMES = {
    "APIRootView": _("Operator API"),
    "ProvinceViewSet": (_("Provinces"), _("Province")),
    "FacilityViewSet": (_("Facilities"), _("Facility")),
    "CameraViewSet": (_("Cameras"), _("Camera")),
    "SnapshotViewSet": (_("Daily progress snapshots"), _("Daily progress snapshot")),
    "StandardView": _("Connection standard"),
    "StatusView": _("Status of the checks"),
    "ConnectionResultsView": _("Connection results"),
    "NoSuchEndpoint": _("No such address in the API"),
}
ACTIONS = {"connection": _("Connection details")}


def view_name(view):
    action = getattr(view, "action", None)
    if action in ACTIONS:
        return ACTIONS[action]
    names = NAMES.get(type(view).__name__)
    if names is None:
        return drf_view_name(view)
    if isinstance(names, tuple):
        return names[1] if getattr(view, "detail", False) else names[0]
    return names
