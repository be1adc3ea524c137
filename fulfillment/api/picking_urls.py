from django.urls import path

from . import documents, picking

urlpatterns = [
    path("pick-lists/", picking.PickListsView.as_view(), name="api-pick-lists"),
    path("pick-lists/<int:pk>/", picking.PickListDetailView.as_view(), name="api-pick-list"),
    path("pick-lists/<int:pk>/confirm/", picking.PickListConfirmView.as_view(), name="api-pick-list-confirm"),
    path("pick-lists/<int:pk>/document.pdf", documents.PickListDocumentView.as_view(), name="api-pick-list-document"),
    path("fulfillment-orders/<str:number>/packing-slip.pdf", documents.PackingSlipDocumentView.as_view(), name="api-fulfillment-order-packing-slip"),
    path("fulfillment-orders/<str:number>/pack/", picking.FulfillmentOrderPackView.as_view(), name="api-fulfillment-order-pack"),
]
