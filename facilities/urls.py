from django.urls import path

from facilities import views

urlpatterns = [
    path("", views.my_facilities, name="my_facilities"),
    path("<int:pk>/", views.facility_detail, name="facility_detail"),
]
