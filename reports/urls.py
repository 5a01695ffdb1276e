from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.progress, name="progress"),
    path("province/<str:code>/", views.progress, name="province"),
    path("export/progress.csv", views.export_progress, name="export_progress"),
    path("export/facilities.csv", views.export_facilities, name="export_facilities"),
    path("export/cameras.csv", views.export_cameras, name="export_cameras"),
]
