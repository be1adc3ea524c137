"""Each scope allows exactly its operations: every API operation, found by walking the URL
configuration (so a new endpoint is covered the day it is added), is tried with a key holding only
the scope it declares (let in) and with a key holding every other scope (403, nothing done)."""

import re

import pytest
from rest_framework.test import APIClient
from django.urls import URLPattern, URLResolver, get_resolver

from oms.models import API_SCOPE_NAMES, ApiKey, DomainEvent, Integration

from .support import error_of

pytestmark = pytest.mark.django_db

# Operations that authenticate another way: the platforms sign their webhooks with the channel's
# secret and carriers their tracking events with the carrier's, so these take no API key (and are
# tested in tests/channels and tests/shipping).
SIGNED_BY_PLATFORM = re.compile(r"^/api/v1/(channels/[^/]+/(shopify|woocommerce)/orders|carriers/[^/]+/tracking)/?$")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def _concrete(route: str) -> str:
    """A URL for a route, with made-up values for its parameters (they need not exist)."""
    route = re.sub(r"<(?:int:)?(?:pk|id|\w*_id)>", "999999", route)
    route = re.sub(r"<(?:\w+:)?\w+>", "NOPE-1", route)
    return "/" + route.lstrip("^").rstrip("$").replace("\\Z", "")


def api_operations() -> list[tuple[str, str, str]]:
    operations = []
    for route, callback in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view_class = getattr(callback, "cls", None)
        url = _concrete(route)
        if view_class is None or SIGNED_BY_PLATFORM.match(url):
            continue
        for method, scope in getattr(view_class, "required_scopes", {}).items():
            operations.append((method, url, scope))
    return sorted(set(operations))


OPERATIONS = api_operations()


@pytest.fixture
def client_for(db):
    """An API client whose key holds ``scopes`` and belongs to an integration, as keys in use do (a
    key of no integration manages no webhooks, whatever its scopes)."""
    integration = Integration.objects.create(code="scope-test", name="Scope test")

    def make(*scopes: str) -> APIClient:
        _, raw_key = ApiKey.generate(name=f"scopes-{ApiKey.objects.count()}", scopes=scopes, integration=integration)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make


def test_every_api_operation_declares_a_known_scope():
    views_without = []
    for route, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        url = _concrete(route)
        if route.startswith("api/v1/") and view_class is not None and not SIGNED_BY_PLATFORM.match(url):
            if not getattr(view_class, "required_scopes", None):
                views_without.append(url)
    assert not views_without, f"API views that declare no scope (nobody with a key could use them): {views_without}"
    assert {scope for _, _, scope in OPERATIONS} <= set(API_SCOPE_NAMES)
    assert len(OPERATIONS) >= 9


@pytest.mark.parametrize("method, url, scope", OPERATIONS, ids=[f"{m} {u}" for m, u, _ in OPERATIONS])
def test_a_key_with_only_the_operations_scope_is_let_in(client_for, method, url, scope):
    response = client_for(scope).generic(method, url, "{}", content_type="application/json", HTTP_IF_MATCH='"1"')

    assert response.status_code not in (401, 403), (response.status_code, response.content[:300])


@pytest.mark.parametrize("method, url, scope", OPERATIONS, ids=[f"{m} {u}" for m, u, _ in OPERATIONS])
def test_a_key_with_every_other_scope_is_refused_and_nothing_happens(client_for, method, url, scope):
    events_before = DomainEvent.objects.count()
    others = [name for name in API_SCOPE_NAMES if name != scope]

    response = client_for(*others).generic(method, url, "{}", content_type="application/json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 403, (response.status_code, response.content[:300])
    assert error_of(response)["code"] == "permission_denied"
    assert scope in error_of(response)["message"]
    assert DomainEvent.objects.count() == events_before


def test_every_post_takes_an_idempotency_key():
    """Every POST an API key can make replays its first answer on a retry with the same key."""
    without = []
    for route, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        url = _concrete(route)
        if not route.startswith("api/v1/") or view_class is None or SIGNED_BY_PLATFORM.match(url):
            continue
        post = getattr(view_class, "post", None)
        if post is not None and not getattr(post, "honours_idempotency_key", False):
            without.append(url)
    assert without == []
