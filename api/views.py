"""The API's endpoints under /api/v1/: thin views over the scope (facilities/access.py), the
connection lifecycle (api/results.py over cameras/lifecycle.py) and the disclosure of
connection details (cameras/disclosure.py).

Every list starts from `restrict(user, action)` for the calling account (the token's owner or the
session's user), reads its page in one query of its own (select_related, the secret columns
deferred) and so costs the same queries for 5 cameras or 100,000 (tests/test_api.py pins them).
"""

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from api import errors, naming, results, serializers
from api.filters import CameraFilter, FacilityFilter, SnapshotFilter
from api.pagination import DayPagination, KeysetPagination
from cameras import conf as camera_conf
from cameras import disclosure
from cameras.choices import ConnectionStatus
from cameras.models import Camera, ConnectionStandard
from facilities import access
from facilities.models import Facility, Province
from reports import metrics
from reports.models import DailySnapshot

# Secret or bulky columns a list never reads.
CAMERA_DEFERRED = ("username", "password", "search_text", "facility__search_text",
                   "facility__province__search_text")

ERRORS = {
    401: OpenApiResponse(serializers.ErrorSerializer, description="No valid token or session."),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Not allowed to this account."),
    404: OpenApiResponse(serializers.ErrorSerializer, description="Not in the account's scope."),
}


class ApiMixin:
    """The caller's language for everything the request answers, errors included."""

    def initialize_request(self, request, *args, **kwargs):
        errors.activate_for(request)
        return super().initialize_request(request, *args, **kwargs)


def _no_store(response):
    # Credentials: never kept by a browser or a shared cache.
    response["Cache-Control"] = "no-store"
    return response


def _throttled(exceeded):
    refusal = exceptions.Throttled(
        detail=_(
            "You received the connection details of %(limit)d cameras in this period, the most "
            "allowed: try again in %(wait)d seconds."
        ) % {"limit": exceeded.limit, "wait": exceeded.wait},
    )
    # Set after: given to the constructor, DRF appends an English "Expected available in..."
    # to the message. DRF's handler turns it into the Retry-After header.
    refusal.wait = exceeded.wait
    return refusal


def _disclose(request, cameras):
    """Take the cameras from the account's budget (429 when over), record and return them."""
    try:
        disclosure.take(request.user, len(cameras))
    except disclosure.RateExceeded as exceeded:
        raise _throttled(exceeded) from None
    return disclosure.disclose(cameras, request, via="api")


@extend_schema_view(
    list=extend_schema(summary="Provinces in your scope", responses={200: serializers.
                       ProvinceSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(summary="One province", responses={
        200: serializers.ProvinceSerializer, **ERRORS}),
)
class ProvinceViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ProvinceSerializer
    # At most 63: one page.
    pagination_class = None
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Province.objects.restrict(self.request.user, access.VIEW).order_by("code")


def _count(condition):
    cameras = (
        Camera.objects.filter(condition, facility_id=OuterRef("pk"))
        .order_by()
        .values("facility_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(cameras, output_field=IntegerField()), Value(0))


@extend_schema_view(
    list=extend_schema(summary="Facilities in your scope, in (updated_at, id) order",
                       responses={200: serializers.FacilitySerializer(many=True), **ERRORS}),
    retrieve=extend_schema(summary="One facility", responses={
        200: serializers.FacilitySerializer, **ERRORS}),
)
class FacilityViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.FacilitySerializer
    filterset_class = FacilityFilter
    pagination_class = KeysetPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Facility.objects.restrict(self.request.user, access.VIEW)
            .select_related("province")
            .defer("search_text", "province__search_text")
            .annotate(
                cameras_registered=_count(~Q(connection_status=ConnectionStatus.DECOMMISSIONED)),
                cameras_connected=_count(Q(connection_status=ConnectionStatus.CONNECTED)),
            )
            .order_by("updated_at", "pk")
        )

    @extend_schema(
        summary="Connection details of a facility's cameras",
        description=(
            "Stream address, user name and password of each eligible, connected or suspended "
            "camera of the facility, for its province's operator engineers and national "
            "administrators. Each camera disclosed is an account event and counts against the "
            "account's limit (CONNECTION_DETAILS_RATE)."
        ),
        responses={
            200: serializers.FacilityConnectionDetailsSerializer,
            429: OpenApiResponse(serializers.ErrorSerializer, description="Limit reached."),
            **ERRORS,
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="connection", pagination_class=None,
            filter_backends=[], name=naming.ACTIONS["connection"])
    def connection(self, request, pk=None):
        user = request.user
        facility = Facility.objects.restrict(user, access.VIEW).filter(pk=pk).first()
        if facility is None:
            raise exceptions.NotFound()
        if not access.can(user, access.CONNECT, facility):
            raise exceptions.PermissionDenied(disclosure.WHO_REFUSAL)
        cameras = list(
            disclosure.disclosable(user)
            .filter(facility=facility)
            .select_related("facility")
            .order_by("name", "pk")
        )
        details = _disclose(request, cameras)
        answer = {"facility": facility.pk, "cameras": details}
        return _no_store(Response(serializers.FacilityConnectionDetailsSerializer(answer).data))


@extend_schema_view(
    list=extend_schema(summary="Cameras in your scope, in (updated_at, id) order",
                       responses={200: serializers.CameraSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(summary="One camera", responses={
        200: serializers.CameraSerializer, **ERRORS}),
)
class CameraViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.CameraSerializer
    filterset_class = CameraFilter
    pagination_class = KeysetPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Camera.objects.restrict(self.request.user, access.VIEW)
            .select_related("facility__province", "state")
            .defer(*CAMERA_DEFERRED)
            .order_by("updated_at", "pk")
        )

    @extend_schema(
        summary="Connection details of a camera",
        description=(
            "Stream address, user name and password, for the camera's province's operator "
            "engineers and national administrators, while the camera is eligible, connected "
            "or suspended. Each call is an account event and counts against the account's "
            "limit (CONNECTION_DETAILS_RATE)."
        ),
        responses={
            200: serializers.ConnectionDetailsSerializer,
            409: OpenApiResponse(serializers.ErrorSerializer,
                                 description="Not eligible, connected or suspended."),
            429: OpenApiResponse(serializers.ErrorSerializer, description="Limit reached."),
            **ERRORS,
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="connection", pagination_class=None,
            filter_backends=[], name=naming.ACTIONS["connection"])
    def connection(self, request, pk=None):
        user = request.user
        camera = disclosure.in_scope(user).select_related("facility").filter(pk=pk).first()
        if camera is None:
            if Camera.objects.restrict(user, access.VIEW).filter(pk=pk).exists():
                raise exceptions.PermissionDenied(disclosure.WHO_REFUSAL)
            raise exceptions.NotFound()
        refusal = disclosure.status_refusal(camera)
        if refusal is not None:
            return Response({"detail": refusal}, status=status.HTTP_409_CONFLICT)
        (details,) = _disclose(request, [camera])
        return _no_store(Response(serializers.ConnectionDetailsSerializer(details).data))


class StandardView(ApiMixin, APIView):
    @extend_schema(summary="The active connection standard",
                   responses={200: serializers.ConnectionStandardSerializer, **ERRORS})
    def get(self, request):
        return Response(serializers.ConnectionStandardSerializer(ConnectionStandard.current()).data)


@extend_schema_view(
    list=extend_schema(summary="Daily progress snapshots in your scope, by day",
                       responses={200: serializers.DailySnapshotSerializer(many=True), **ERRORS}),
)
class SnapshotViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.DailySnapshotSerializer
    filterset_class = SnapshotFilter
    pagination_class = DayPagination

    def get_queryset(self):
        return (
            DailySnapshot.objects.restrict(self.request.user, access.VIEW)
            .select_related("province")
            .defer("province__search_text")
            .order_by("day", "pk")
        )


class StatusView(ApiMixin, APIView):
    @extend_schema(
        summary="The portal's checks and your cameras, for monitoring",
        description=(
            "The last finished scheduled sweep and its lag (the figures of /metrics), and the "
            "cameras of your scope by health and by connection status."
        ),
        responses={200: serializers.StatusSerializer, **ERRORS},
    )
    def get(self, request):
        now = timezone.now()
        last = metrics.last_scheduled_sweep()
        rows = (
            Camera.objects.restrict(request.user, access.VIEW)
            .order_by()
            .values_list("connection_status", "state__health")
            .annotate(n=Count("pk"))
        )
        by_status, by_health = {}, {}
        for connection_status, health, n in rows:
            by_status[connection_status] = by_status.get(connection_status, 0) + n
            by_health[health] = by_health.get(health, 0) + n
        answer = {
            "now": now,
            "sweep_interval_seconds": camera_conf.interval().total_seconds(),
            "last_sweep": last,
            "sweep_lag_seconds": (now - last["started_at"]).total_seconds() if last else None,
            "cameras": sum(by_status.values()),
            "by_health": by_health,
            "by_status": by_status,
        }
        return Response(serializers.StatusSerializer(answer).data)


class ConnectionResultsView(ApiMixin, APIView):
    @extend_schema(
        summary="Report connection results in bulk",
        description=(
            "The operator's central system reports the cameras it connected or suspended, with "
            "their ids in it. All or nothing: every item is checked first (the camera in your "
            "scope, the change allowed by the connection lifecycle now) and every error is "
            "returned at once as “Item N, field F: message” with nothing written; otherwise "
            "all are written together. Repeating a request changes nothing."
        ),
        request=serializers.ConnectionResultSerializer(many=True),
        responses={
            200: serializers.ConnectionResultsAnswerSerializer,
            400: OpenApiResponse(serializers.ErrorSerializer,
                                 description="Invalid items: nothing was written."),
            409: OpenApiResponse(serializers.ErrorSerializer,
                                 description="A camera changed meanwhile: send again."),
            **ERRORS,
        },
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, list) or not data:
            raise exceptions.ValidationError(
                {"detail": _(
                    'Send a JSON list of results: [{"camera": 12, "status": "connected", '
                    '"central_id": "…"}].'
                )}
            )
        limit = settings.API_CONNECTIONS_MAX_ITEMS
        if len(data) > limit:
            raise exceptions.ValidationError({"detail": _(
                "At most %(limit)d results per request: send them in parts."
            ) % {"limit": limit}})
        serializer = serializers.ConnectionResultSerializer(data=data, many=True)
        if not serializer.is_valid():
            return self._refused(errors.item_messages(serializer.errors))
        items = [
            results.Item(
                n=n,
                camera_id=row["camera"],
                status=row["status"],
                reason=row.get("reason", ""),
                central_id=(row.get("central_id") or "").strip() or None,
            )
            for n, row in enumerate(serializer.validated_data, start=1)
        ]
        plan = results.check(request.user, items)
        if plan.errors:
            return self._refused(plan.errors, checks_queued=plan.checks_queued)
        try:
            outcomes = results.write(request.user, plan)
        except results.Conflict:
            return Response(
                {"detail": _("Some of these cameras changed while the results were checked; "
                             "nothing was written: send the results again.")},
                status=status.HTTP_409_CONFLICT,
            )
        changed = sum(1 for _item, was_changed in outcomes if was_changed)
        return Response({
            "changed": changed,
            "unchanged": len(outcomes) - changed,
            "items": [
                {"item": item.n, "camera": item.camera_id, "status": item.status,
                 "changed": was_changed}
                for item, was_changed in outcomes
            ],
        })

    @staticmethod
    def _refused(messages, checks_queued=0):
        body = {
            "detail": ngettext(
                "%(n)d error: nothing was written.",
                "%(n)d errors: nothing was written.",
                len(messages),
            ) % {"n": len(messages)},
            "errors": messages,
        }
        if checks_queued:
            body["checks_queued"] = checks_queued
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
