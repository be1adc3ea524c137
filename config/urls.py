from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from oms.api.errors import api_not_found

api_v1 = [
    path("", include("orders.api.urls")),
    path("", include("orders.api.channel_urls")),
    path("", include("customers.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("oms.api.urls")),
    path("", include("fulfillment.api.urls")),
    path("", include("shipping.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # HTML pages only: DRF would answer OPTIONS with metadata their HTML renderer has no template for (a 500).
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=["get", "head"]), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema", http_method_names=["get", "head"]), name="api-redoc"),
    # Anything else under /api/ answers in the API's error shape (also a POST missing its final
    # slash, which Django could not redirect without losing the body).
    re_path(r"^api/", api_not_found),
]

admin.site.site_header = "OMS operator console"
admin.site.site_title = "OMS"
admin.site.index_title = "Operations"
