"""The portal's pages under /portal/. The tracking and preferences paths are the ones the links in
messages are built with (``portal.links``); a test checks they agree."""

from django.urls import path
from django.views.generic import RedirectView

from .views import addresses, brand, bulk, lookup, my_data, order_actions, orders, preferences, returns, signin, tracking, unsubscribe

app_name = "portal"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:orders"), name="home"),
    path("sign-in/", signin.sign_in, name="sign-in"),
    path("sign-in/<str:token>/", signin.sign_in_link, name="sign-in-link"),
    path("sign-out/", signin.sign_out, name="sign-out"),
    path("lookup/", lookup.lookup, name="lookup"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<str:number>/", orders.order, name="order"),
    path("orders/<str:number>/address/", order_actions.order_address, name="order-address"),
    path("orders/<str:number>/cancel/", order_actions.order_cancel, name="order-cancel"),
    path("orders/<str:number>/return/", returns.return_start, name="return-start"),
    path("order-in-bulk/", bulk.bulk_order, name="bulk-order"),
    path("addresses/", addresses.addresses, name="addresses"),
    path("addresses/new/", addresses.address_new, name="address-new"),
    path("addresses/<int:address_id>/", addresses.address_edit, name="address-edit"),
    path("addresses/<int:address_id>/remove/", addresses.address_remove, name="address-remove"),
    path("returns/", returns.returns_list, name="returns"),
    path("returns/<str:number>/", returns.return_detail, name="return"),
    path("returns/<str:number>/label.pdf", returns.return_label, name="return-label"),
    path("returns/<str:number>/slip.pdf", returns.return_slip, name="return-slip"),
    path("track/<str:token>/", tracking.tracking, name="tracking"),
    path("preferences/<str:token>/", preferences.preferences, name="preferences"),
    path("brand/<str:channel>/logo/<str:filename>", brand.logo, name="brand-logo"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("my-preferences/", preferences.my_preferences, name="my-preferences"),
    path("my-data/", my_data.my_data, name="my-data"),
    path("my-data/<int:request_id>/download/", my_data.my_data_download, name="my-data-download"),
]
