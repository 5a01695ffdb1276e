from django.urls import path

from problems import views

app_name = "problems"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("export.csv", views.export_csv, name="export"),
    path("new/", views.report_new, name="new"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/reply/", views.report_reply, name="reply"),
    path("<int:pk>/handling/", views.report_handle, name="handle"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
