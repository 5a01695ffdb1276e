from django.urls import path

from readiness import views

app_name = "readiness"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("export/readiness.csv", views.export_csv, name="export_csv"),
]
