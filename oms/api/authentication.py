import time

from django.conf import settings
from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from oms.actors import Actor
from oms.db import rows_select
from oms.models import ApiKey, Integration
from oms.signin.two_factor import two_factor_pending

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


# prefix -> (when fetched, key, whether its integration is on). Integrations send a request after
# request with the same key; looking it up each time would cost every request a round trip. Only
# keys that exist are kept (a caller trying random prefixes cannot grow this), each for
# OMS_API_KEY_CACHE_SECONDS.
_recent: dict[str, tuple[float, ApiKey, bool]] = {}


def _key_for(prefix: str) -> tuple[ApiKey, bool] | None:
    lifetime = settings.OMS_API_KEY_CACHE_SECONDS
    hit = _recent.get(prefix)
    now = time.monotonic()
    if hit is not None and now - hit[0] < lifetime:
        return hit[1], hit[2]
    found = rows_select(ApiKey, "prefix", [prefix])
    if not found:
        _recent.pop(prefix, None)
        return None
    key = found[0]
    # A switched-off integration switches off all its keys; one more look-up, only on a cache miss.
    integration_on = key.integration_id is None or any(i.is_active for i in rows_select(Integration, "id", [key.integration_id]))
    if lifetime > 0:
        _recent[prefix] = (now, key, integration_on)
    return key, integration_on


def api_key_forget(prefix: str) -> None:
    """Drop a key from this process's memory, so a change to it (a revocation) applies at once here;
    other processes see it within OMS_API_KEY_CACHE_SECONDS."""
    _recent.pop(prefix, None)


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
        found = _key_for(prefix) if prefix else None
        if found is None or not found[0].is_active or not found[0].matches(raw_key):
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        key, integration_on = found
        if not integration_on:
            raise exceptions.AuthenticationFailed("This API key's integration is switched off; ask the merchant to switch it on.")
        now = timezone.now()
        # Recording every use would add a write to every request; a few minutes' resolution is enough.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return ApiClient(key), key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Api-Key <key>`"}


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """Staff signed in to the console (DRF's session authentication, CSRF-checked), but not a
    session that still owes its second factor: the password alone opens no more of the API than
    of the console."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and two_factor_pending(result[0]):
            raise exceptions.AuthenticationFailed(
                "This session has not finished two-factor sign-in; give your code in the console (/admin/) first."
            )
        return result


class VerifiedSessionScheme(SessionScheme):
    target_class = VerifiedSessionAuthentication
