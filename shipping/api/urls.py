from django.urls import path

from . import returns, views

urlpatterns = [
    path("carriers/<str:code>/tracking/", views.CarrierTrackingView.as_view(), name="api-carrier-tracking"),
    path("shipments/", views.ShipmentsView.as_view(), name="api-shipments"),
    # Before the detail route: "labels" is not a shipment id (it could not be one anyway: ids are numbers).
    path("shipments/labels/", views.ShipmentsLabelsView.as_view(), name="api-shipments-labels"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="api-shipment"),
    path("shipments/<int:pk>/label.pdf", views.ShipmentLabelView.as_view(), name="api-shipment-label"),
    path("shipments/<int:pk>/void/", views.ShipmentVoidView.as_view(), name="api-shipment-void"),
    path("shipments/<int:pk>/return-label/", returns.ShipmentReturnLabelView.as_view(), name="api-shipment-return-label"),
    path("manifests/", views.ManifestsView.as_view(), name="api-manifests"),
    path("manifests/<int:pk>/", views.ManifestDetailView.as_view(), name="api-manifest"),
    path("manifests/<int:pk>/manifest.pdf", views.ManifestPdfView.as_view(), name="api-manifest-pdf"),
    path("manifests/<int:pk>/manifest.csv", views.ManifestCsvView.as_view(), name="api-manifest-csv"),
]
