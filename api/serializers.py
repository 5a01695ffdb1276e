"""What the API says of each thing: explicit field lists, never a camera's credentials (they
leave only through ConnectionDetailsSerializer, api/views.py's connection endpoints)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cameras.choices import ConnectionStatus, Health
from cameras.models import Camera, ConnectionStandard
from facilities.models import Facility, Province
from reports.models import DailySnapshot


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know (DRF ignores them): a misspelt "central_ld" is an error,
    not a value silently dropped."""

    default_error_messages = {"unknown": _("Unknown field.")}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            unknown = {
                name: [self.error_messages["unknown"]]
                for name in sorted(set(data) - set(self.fields))
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class ProvinceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Province
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "region",
            "operator",
            "active",
            "contact_name",
            "contact_title",
            "contact_phone",
            "contact_email",
        ]


class FacilitySerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.code", read_only=True)
    cameras = serializers.IntegerField(
        source="cameras_registered",
        read_only=True,
        help_text=_("Cameras registered (decommissioned ones left out)."),
    )
    cameras_connected = serializers.IntegerField(read_only=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "province",
            "kind",
            "status",
            "address",
            "district",
            "managing_agency",
            "capacity",
            "planned_cameras",
            "cameras",
            "cameras_connected",
            "focal_name",
            "focal_title",
            "focal_phone",
            "focal_email",
            "created_at",
            "updated_at",
        ]


class CameraSerializer(serializers.ModelSerializer):
    facility_name = serializers.CharField(source="facility.name", read_only=True)
    province = serializers.CharField(source="facility.province.code", read_only=True)
    status_reason = serializers.CharField(
        source="not_connected_reason",
        read_only=True,
        help_text=_("Why the camera is not connected (ineligible, suspended, decommissioned)."),
    )
    health = serializers.ChoiceField(source="state.health", choices=Health.choices, read_only=True)
    last_checked_at = serializers.DateTimeField(source="state.last_checked_at", read_only=True)
    last_ok_at = serializers.DateTimeField(source="state.last_ok_at", read_only=True)
    meets_standard = serializers.BooleanField(
        source="state.verdict_eligible",
        read_only=True,
        allow_null=True,
        help_text=_("The verdict of the last check on the connection standard (null: none yet)."),
    )
    full_checked_at = serializers.DateTimeField(source="state.full_checked_at", read_only=True)

    class Meta:
        model = Camera
        # Never "username" nor "password": tests/test_api.py lists what a camera may show.
        fields = [
            "id",
            "name",
            "zone",
            "facility",
            "facility_name",
            "province",
            "vendor",
            "model",
            "connection_status",
            "status_reason",
            "status_changed_at",
            "connected_at",
            "central_id",
            "check_enabled",
            "health",
            "last_checked_at",
            "last_ok_at",
            "meets_standard",
            "full_checked_at",
            "created_at",
            "updated_at",
        ]


class ConnectionStandardSerializer(serializers.ModelSerializer):
    allowed_schemes = serializers.ListField(
        source="schemes", child=serializers.CharField(), read_only=True
    )
    allowed_codecs = serializers.ListField(
        source="codecs", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = ConnectionStandard
        fields = [
            "version",
            "allowed_schemes",
            "allowed_codecs",
            "min_width",
            "min_height",
            "min_fps",
            "max_first_frame_s",
            "activated_at",
            "note",
        ]


class DailySnapshotSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.code", read_only=True)
    date = serializers.DateField(source="day", read_only=True)

    class Meta:
        model = DailySnapshot
        fields = [
            "id",
            "date",
            "province",
            "operator",
            "region",
            "facilities",
            "facilities_connected",
            "cameras_planned",
            "cameras_registered",
            "cameras_eligible",
            "cameras_ineligible",
            "cameras_connected",
            "cameras_online",
            "cameras_offline",
            "taken_at",
        ]


class LastSweepSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    cameras = serializers.IntegerField()


class StatusSerializer(serializers.Serializer):
    """The portal's state for an operator's monitoring (api/views.py, StatusView)."""

    now = serializers.DateTimeField()
    sweep_interval_seconds = serializers.FloatField()
    last_sweep = LastSweepSerializer(allow_null=True)
    sweep_lag_seconds = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Seconds since the start of the last finished scheduled sweep: about one interval "
            "plus a sweep's duration when all is well."
        ),
    )
    cameras = serializers.IntegerField(help_text=_("Cameras in your scope."))
    by_health = serializers.DictField(child=serializers.IntegerField())
    by_status = serializers.DictField(child=serializers.IntegerField())


class ConnectionDetailsSerializer(serializers.Serializer):
    """What connecting a camera needs. The one answer of the API with credentials."""

    camera = serializers.IntegerField(source="camera_id")
    name = serializers.CharField()
    facility = serializers.IntegerField(source="facility_id")
    stream_url = serializers.CharField()
    username = serializers.CharField()
    password = serializers.CharField()


class FacilityConnectionDetailsSerializer(serializers.Serializer):
    facility = serializers.IntegerField()
    cameras = ConnectionDetailsSerializer(many=True)


@extend_schema_field({"type": "string", "nullable": True, "maxLength": 100})
class CentralIdField(serializers.CharField):
    pass


class ConnectionResultSerializer(StrictSerializer):
    """One result of the operator's central system."""

    camera = serializers.IntegerField(min_value=1, help_text=_("The camera's id in the portal."))
    status = serializers.ChoiceField(
        choices=ConnectionStatus.choices,
        help_text=_("The status the camera is now in: connected, or suspended with a reason."),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text=_("Required to suspend: why the camera is not connected."),
    )
    central_id = CentralIdField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=100,
        help_text=_("The camera's id in the central system."),
    )


class ConnectionResultOutcomeSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    camera = serializers.IntegerField()
    status = serializers.CharField()
    changed = serializers.BooleanField()


class ConnectionResultsAnswerSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text=_("Cameras changed by this request."))
    unchanged = serializers.IntegerField(help_text=_("Cameras already as reported."))
    items = ConnectionResultOutcomeSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField(), required=False)
    checks_queued = serializers.IntegerField(required=False)
