from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from oms.api.errors import api_not_found
from portal.sms.hooks import twilio_status_hook

def anymail_webhooks() -> list:
    """``/anymail/<provider>/tracking/`` (and inbound) of the provider EMAIL_BACKEND sends
    through, e.g. anymail.backends.postmark.EmailBackend: only a provider that is set up (its
    webhook secret with it) answers; the others' URLs do not exist rather than fail."""
    backend = settings.EMAIL_BACKEND
    if not backend.startswith("anymail.backends."):
        return []
    from anymail import urls as anymail_urls

    provider = backend.split(".")[2]
    wanted = [pattern for pattern in anymail_urls.urlpatterns if str(pattern.pattern).lstrip("^").startswith(f"{provider}/")]
    return [path("anymail/", include((wanted, "anymail")))]


api_v1 = [
    path("", include("orders.api.urls")),
    path("", include("orders.api.channel_urls")),
    path("", include("customers.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("inventory.api.counts_urls")),
    path("", include("oms.api.urls")),
    path("", include("fulfillment.api.urls")),
    path("", include("shipping.api.urls")),
    path("", include("returns.api.urls")),
    path("", include("reports.imports.api")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    # The console's home for now; the customer portal's once it exists.
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    # The second step of signing in to the console (an authenticator's code), before the admin's own URLs.
    path("admin/two-factor/", include("oms.signin.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Twilio reports SMS statuses here (signed with the auth token; no session, no CSRF token).
    path("portal/hooks/twilio/status/", twilio_status_hook, name="twilio-status"),
    # The customer portal (its own session cookie: portal.middleware), and the language switch its pages post to.
    path("portal/", include("portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The e-mail provider's delivery reports (anymail's webhook of the configured provider only).
    *anymail_webhooks(),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script for the CSP.
    # HTML pages only: DRF would answer OPTIONS with metadata their HTML renderer has no template for (a 500).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"]), name="api-docs"),
    # ReDoc injects <style> elements as its bundle loads (before it could be handed a nonce) and runs
    # its search in a worker made from a blob: this page alone allows both (no inline script).
    path(
        "api/redoc/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema", http_method_names=["get", "head"])
        ),
        name="api-redoc",
    ),
    # Anything else under /api/ answers in the API's error shape (also a POST missing its final
    # slash, which Django could not redirect without losing the body).
    re_path(r"^api/", api_not_found),
]
