from django.urls import path

from . import purchasing, views

# ``path:`` because a SKU may contain a slash; the fixed ``stock/...`` paths come before ``stock/<sku>/``.
# Every SKU stays readable: a GET of ``stock/<sku>/quarantine|release|scrap/`` or ``stock/snapshots/``
# reads the SKU that is the whole path (those routes are POST-only), and ``stock/lookup/?sku=`` reads
# any SKU by name, ``movements`` (the ledger's GET) included.
urlpatterns = [
    path("products/", views.ProductsView.as_view(), name="api-products"),
    path("products/<path:sku>/", views.ProductDetailView.as_view(), name="api-product"),
    path("locations/", views.LocationsView.as_view(), name="api-locations"),
    path("locations/<str:code>/", views.LocationDetailView.as_view(), name="api-location"),
    path("locations/<str:code>/bins/", views.LocationBinsView.as_view(), name="api-location-bins"),
    path("locations/<str:code>/bins/<str:bin_code>/", views.LocationBinDetailView.as_view(), name="api-location-bin"),
    path("locations/<str:code>/bin-assignments/", views.LocationBinAssignmentsView.as_view(), name="api-location-bin-assignments"),
    path("stock/", views.StockLevelsView.as_view(), name="api-stock-levels"),
    path("stock/movements/", views.StockMovementsView.as_view(), name="api-stock-movements"),
    path("stock/snapshots/", views.StockSnapshotsView.as_view(), name="api-stock-snapshots"),
    path("stock/lookup/", views.StockLookupView.as_view(), name="api-stock-lookup"),
    path("stock/<path:sku>/quarantine/", views.StockQuarantineView.as_view(), name="api-stock-quarantine"),
    path("stock/<path:sku>/release/", views.StockQuarantineReleaseView.as_view(), name="api-stock-quarantine-release"),
    path("stock/<path:sku>/scrap/", views.StockQuarantineScrapView.as_view(), name="api-stock-scrap"),
    path("stock/<path:sku>/", views.StockView.as_view(), name="api-stock"),
    path("atp/", views.AvailabilityView.as_view(), name="api-availability"),
    path("suppliers/", purchasing.SuppliersView.as_view(), name="api-suppliers"),
    path("suppliers/<str:code>/", purchasing.SupplierDetailView.as_view(), name="api-supplier"),
    path("suppliers/<str:code>/products/", purchasing.SupplierProductsView.as_view(), name="api-supplier-products"),
    path("purchase-orders/", purchasing.PurchaseOrdersView.as_view(), name="api-purchase-orders"),
    path("purchase-orders/<str:number>/", purchasing.PurchaseOrderDetailView.as_view(), name="api-purchase-order"),
    path("purchase-orders/<str:number>/lines/", purchasing.PurchaseOrderLinesView.as_view(), name="api-purchase-order-lines"),
    path("purchase-orders/<str:number>/events/", purchasing.PurchaseOrderEventsView.as_view(), name="api-purchase-order-events"),
    path("purchase-orders/<str:number>/send/", purchasing.PurchaseOrderSendView.as_view(), name="api-purchase-order-send"),
    path("purchase-orders/<str:number>/receive/", purchasing.PurchaseOrderReceiveView.as_view(), name="api-purchase-order-receive"),
    path("purchase-orders/<str:number>/cancel/", purchasing.PurchaseOrderCancelView.as_view(), name="api-purchase-order-cancel"),
    path("purchase-orders/<str:number>/close/", purchasing.PurchaseOrderCloseView.as_view(), name="api-purchase-order-close"),
]
