"""/api/: the operator API (v1), its OpenAPI schema and documentation, the token pages, and a
JSON 404 for any other path under /api/ (a program reads JSON, not the portal's error page)."""

from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, routers
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from api import pages, views


class Router(routers.DefaultRouter):
    # No ".json" suffix routes: one URL per thing.
    include_format_suffixes = False


router = Router()
router.register("provinces", views.ProvinceViewSet, basename="province")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("cameras", views.CameraViewSet, basename="camera")
router.register("snapshots", views.SnapshotViewSet, basename="snapshot")


class Docs(views.ApiMixin, SpectacularSwaggerSplitView):
    """Swagger UI from our static files (drf-spectacular-sidecar), its start-up script a file of
    its own (the "split" view): the Content-Security-Policy allows no inline script or style."""

    template_name = "api/swagger_ui.html"
    title = _("Camera connection portal API")

    def handle_exception(self, exc):
        # A person who opens the documentation signed out is sent to the sign-in page and back,
        # as on every other page, not answered with the API's JSON 401.
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class Schema(views.ApiMixin, SpectacularAPIView):
    pass


@extend_schema(exclude=True)
class NoSuchEndpoint(views.ApiMixin, APIView):
    """Any other path under /api/: a JSON 404."""

    authentication_classes = []
    permission_classes = []

    def get(self, request, *args, **kwargs):
        raise NotFound()

    post = put = patch = delete = get


app_name = "api"
urlpatterns = [
    path("v1/standard/", views.StandardView.as_view(), name="standard"),
    path("v1/status/", views.StatusView.as_view(), name="status"),
    path("v1/connections/", views.ConnectionResultsView.as_view(), name="connections"),
    path("v1/", include(router.urls)),
    path("schema/", Schema.as_view(), name="schema"),
    path("docs/", Docs.as_view(url_name="api:schema"), name="docs"),
    path("tokens/", pages.tokens_page, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.revoke, name="token_revoke"),
    path("<path:rest>", NoSuchEndpoint.as_view(), name="not_found"),
]
