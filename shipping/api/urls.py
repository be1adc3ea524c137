from django.urls import path

from . import views

urlpatterns = [
    path("carriers/<str:code>/tracking/", views.CarrierTrackingView.as_view(), name="api-carrier-tracking"),
]
