from django.urls import path

from guidance import views

app_name = "guidance"

urlpatterns = [
    path("", views.documents, name="documents"),
    path("documents/<int:pk>/", views.document_detail, name="document"),
    path("documents/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("report/", views.acknowledgement_report, name="report"),
]
