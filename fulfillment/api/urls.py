from django.urls import include, path

from . import orders

urlpatterns = [
    path("fulfillment-orders/", orders.FulfillmentOrdersView.as_view(), name="api-fulfillment-orders"),
    # Before the detail route: "merge" is not a fulfillment order number.
    path("fulfillment-orders/merge/", orders.FulfillmentOrdersMergeView.as_view(), name="api-fulfillment-orders-merge"),
    path("fulfillment-orders/<str:number>/", orders.FulfillmentOrderDetailView.as_view(), name="api-fulfillment-order"),
    path("fulfillment-orders/<str:number>/ship/", orders.FulfillmentOrderShipView.as_view(), name="api-fulfillment-order-ship"),
    path("fulfillment-orders/<str:number>/deliver/", orders.FulfillmentOrderDeliverView.as_view(), name="api-fulfillment-order-deliver"),
    path("fulfillment-orders/<str:number>/move/", orders.FulfillmentOrderMoveView.as_view(), name="api-fulfillment-order-move"),
    path("fulfillment-orders/<str:number>/split/", orders.FulfillmentOrderSplitView.as_view(), name="api-fulfillment-order-split"),
    path("fulfillment-orders/<str:number>/hold/", orders.FulfillmentOrderHoldView.as_view(), name="api-fulfillment-order-hold"),
    path("fulfillment-orders/<str:number>/release/", orders.FulfillmentOrderReleaseView.as_view(), name="api-fulfillment-order-release"),
    path("", include("fulfillment.api.picking_urls")),
]
