"""The customer portal's URLs (``/portal/``)."""

from django.urls import path

from .views import order_actions, returns

app_name = "portal"

urlpatterns = [
    path("orders/<str:number>/address/", order_actions.order_address, name="order-address"),
    path("orders/<str:number>/cancel/", order_actions.order_cancel, name="order-cancel"),
    path("orders/<str:number>/return/", returns.return_start, name="return-start"),
    path("returns/", returns.returns_list, name="returns"),
    path("returns/<str:number>/", returns.return_detail, name="return"),
    path("returns/<str:number>/label.pdf", returns.return_label, name="return-label"),
    path("returns/<str:number>/slip.pdf", returns.return_slip, name="return-slip"),
]
