from django.urls import path

from . import views

# ``path:`` because a SKU may contain a slash; ``stock/movements/`` comes before ``stock/<sku>/``.
urlpatterns = [
    path("products/", views.ProductsView.as_view(), name="api-products"),
    path("products/<path:sku>/", views.ProductDetailView.as_view(), name="api-product"),
    path("locations/", views.LocationsView.as_view(), name="api-locations"),
    path("stock/movements/", views.StockMovementsView.as_view(), name="api-stock-movements"),
    path("stock/<path:sku>/", views.StockView.as_view(), name="api-stock"),
]
