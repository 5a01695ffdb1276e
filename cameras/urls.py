from django.urls import path

from cameras import views

urlpatterns = [
    path("standard/", views.connection_standard, name="connection_standard"),
]
