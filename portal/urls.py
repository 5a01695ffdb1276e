from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from facilities import delegation
from portal import twofactor_views, views
from reports.views import metrics_view

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Two-factor sign-in (portal/twofactor.py): the code after the password, enrolment, and the
    # account's own page.
    path("accounts/two-factor/code/", twofactor_views.verify, name="otp_verify"),
    path("accounts/two-factor/setup/", twofactor_views.setup, name="otp_setup"),
    path("accounts/two-factor/", twofactor_views.account, name="otp_account"),
    path(
        "accounts/two-factor/recovery-codes/",
        twofactor_views.renew_recovery_codes,
        name="otp_recovery_codes",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("delegation/", delegation.delegation, name="delegation"),
    path("facilities/", include("facilities.urls")),
    path("cameras/", include("cameras.urls")),
    path("reports/", include("reports.urls")),
    path("guidance/", include("guidance.urls")),
    path("readiness/", include("readiness.urls")),
    path("problems/", include("problems.urls")),
    path("admin/", admin.site.urls),
    # The operator API, its documentation and the token pages (README, "Operator API").
    path("api/", include("api.urls")),
    # Prometheus' conventional path, outside the pages (README, "Metrics").
    path("metrics", metrics_view, name="metrics"),
]

# The error pages in the portal's layout and language, for the admin's URLs as well.
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
