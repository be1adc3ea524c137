from django.urls import path

from . import views

app_name = "two_factor"

urlpatterns = [
    path("", views.two_factor_verify, name="verify"),
    path("setup/", views.two_factor_setup, name="setup"),
]
