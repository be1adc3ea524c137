from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
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
    # The console's home for now; the customer portal's once it exists.
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Anything else under /api/ answers in the API's error shape (also a POST missing its final
    # slash, which Django could not redirect without losing the body).
    re_path(r"^api/", api_not_found),
]
