from django.urls import path

from cameras import views

urlpatterns = [
    path("standard/", views.connection_standard, name="connection_standard"),
    path("check-status/", views.check_status, name="camera_check_status"),
    path("snapshots/<int:pk>/", views.snapshot_picture, name="camera_snapshot"),
    path("placement/", views.placement_review, name="placement_review"),
    path("placement/<int:pk>/", views.placement_decide, name="placement_decide"),
]
