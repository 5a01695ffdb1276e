"""Filters of the API's lists (django-filter). None of them reads the database to validate a
value (no ModelChoiceFilter): a page of a list costs the same queries whatever is asked."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cameras.choices import ConnectionStatus, Health, Zone
from cameras.models import Camera
from facilities.choices import FacilityStatus
from facilities.models import Facility
from reports.models import DailySnapshot


class CameraFilter(django_filters.FilterSet):
    province = django_filters.CharFilter(
        field_name="facility__province__code",
        label=_("Province"),
        help_text=_("Two-digit province code, e.g. 01."),
    )
    facility = django_filters.NumberFilter(
        field_name="facility_id", label=_("Facility"), help_text=_("Facility id.")
    )
    connection_status = django_filters.MultipleChoiceFilter(
        choices=ConnectionStatus.choices,
        label=_("Connection status"),
        help_text=_("Connection status; repeat the parameter for several."),
    )
    health = django_filters.MultipleChoiceFilter(
        field_name="state__health",
        label=_("Health"),
        choices=Health.choices,
        help_text=_("Health of the last checks; repeat the parameter for several."),
    )
    zone = django_filters.ChoiceFilter(
        choices=Zone.choices, label=_("Placement zone"), help_text=_("Placement zone.")
    )
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Changed since"),
        help_text=_(
            "Only cameras changed at or after this time (ISO 8601). Health is not a change of "
            "the camera: filter by health instead."
        ),
    )

    class Meta:
        model = Camera
        fields = []


class FacilityFilter(django_filters.FilterSet):
    province = django_filters.CharFilter(
        field_name="province__code",
        label=_("Province"), help_text=_("Two-digit province code, e.g. 01.")
    )
    status = django_filters.ChoiceFilter(choices=FacilityStatus.choices, label=_("Status"))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Changed since"),
        help_text=_("Only facilities changed at or after this time (ISO 8601)."),
    )

    class Meta:
        model = Facility
        fields = []


class SnapshotFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(
        field_name="day", label=_("Day"), help_text=_("The day (YYYY-MM-DD).")
    )
    date_from = django_filters.DateFilter(
        field_name="day",
        lookup_expr="gte",
        label=_("From"),
        help_text=_("From this day on (YYYY-MM-DD)."),
    )
    province = django_filters.CharFilter(
        field_name="province__code",
        label=_("Province"), help_text=_("Two-digit province code, e.g. 01.")
    )

    class Meta:
        model = DailySnapshot
        fields = []
