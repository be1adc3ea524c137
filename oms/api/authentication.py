from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from oms.actors import Actor
from oms.db import rows_select
from oms.models import ApiKey

KEYWORD = "Api-Key"
LAST_USED_RESOLUTION_SECONDS = 300


class ApiClient:
    """The caller behind an API key: what ``request.user`` is for integrations."""

    is_authenticated = True
    is_staff = False

    def __init__(self, key: ApiKey):
        self.key = key

    def __str__(self):
        return self.key.label

    def get_username(self):
        return self.key.label


def request_actor(request) -> Actor:
    """Who a request acts as on audit rows: the key's label (``api:shop``) or the signed-in user."""
    user = request.user
    if isinstance(user, ApiClient):
        return user.get_username()
    return user if user is not None and user.is_authenticated else None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``. Keys are looked up by prefix and compared by hash."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw_key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        raw_key = raw_key.strip()
        prefix = ApiKey.split(raw_key)
        found = rows_select(ApiKey, "prefix", [prefix]) if prefix else []
        key = found[0] if found else None
        if key is None or not key.is_active or not key.matches(raw_key):
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        now = timezone.now()
        # Recording every use would add a write to every request; a few minutes' resolution is enough.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ApiClient(key), key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Api-Key <key>`"}
