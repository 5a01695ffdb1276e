from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.progress, name="progress"),
    path("province/<str:code>/", views.progress, name="province"),
    path("not-connected/", views.not_connected_list, name="not_connected"),
    path(
        "province/<str:code>/not-connected/",
        views.not_connected_list,
        name="province_not_connected",
    ),
    path("export/progress.csv", views.export_progress, name="export_progress"),
    path("export/facilities.csv", views.export_facilities, name="export_facilities"),
    path("export/cameras.csv", views.export_cameras, name="export_cameras"),
    path(
        "export/progress.xlsx",
        views.export_progress,
        {"fmt": "xlsx"},
        name="export_progress_xlsx",
    ),
    path(
        "export/facilities.xlsx",
        views.export_facilities,
        {"fmt": "xlsx"},
        name="export_facilities_xlsx",
    ),
    path("export/cameras.xlsx", views.export_cameras, {"fmt": "xlsx"}, name="export_cameras_xlsx"),
    path("exports/", views.export_job_list, name="export_jobs"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/status/", views.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export_job_download"),
]
