from django.urls import path

from . import picking

urlpatterns = [
    path("pick-lists/", picking.PickListsView.as_view(), name="api-pick-lists"),
    path("pick-lists/<int:pk>/", picking.PickListDetailView.as_view(), name="api-pick-list"),
    path("pick-lists/<int:pk>/confirm/", picking.PickListConfirmView.as_view(), name="api-pick-list-confirm"),
    path("fulfillment-orders/<str:number>/pack/", picking.FulfillmentOrderPackView.as_view(), name="api-fulfillment-order-pack"),
]
