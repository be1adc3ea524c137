from django.urls import include, path

from . import orders

urlpatterns = [
    path("fulfillment-orders/", orders.FulfillmentOrdersView.as_view(), name="api-fulfillment-orders"),
    path("fulfillment-orders/<str:number>/", orders.FulfillmentOrderDetailView.as_view(), name="api-fulfillment-order"),
    path("fulfillment-orders/<str:number>/ship/", orders.FulfillmentOrderShipView.as_view(), name="api-fulfillment-order-ship"),
    path("fulfillment-orders/<str:number>/deliver/", orders.FulfillmentOrderDeliverView.as_view(), name="api-fulfillment-order-deliver"),
    path("fulfillment-orders/<str:number>/move/", orders.FulfillmentOrderMoveView.as_view(), name="api-fulfillment-order-move"),
    path("", include("fulfillment.api.picking_urls")),
]
