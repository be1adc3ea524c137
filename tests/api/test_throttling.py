"""Rate limits per API key, counted in the shared cache so every web process enforces the same number."""

import types

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from oms.api import authentication, throttling
from oms.models import ApiKey
from orders.models import Order

from .support import error_of, order_payload

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000.0  # a minute boundary: 1_800_000_000 is divisible by 60
SHARED_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-tests"}}


@pytest.fixture(autouse=True)
def shared_cache():
    with override_settings(CACHES=SHARED_CACHE):
        cache.clear()
        yield
        cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, frozen 45 s into a minute (so no test straddles a window by chance)."""
    now = types.SimpleNamespace(value=WINDOW_START + 45)
    monkeypatch.setattr(throttling, "time", types.SimpleNamespace(time=lambda: now.value))
    return now


def _key(name: str, limit: int | None) -> str:
    key, raw_key = ApiKey.generate(name=name)
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=limit)
    return raw_key


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def _statuses(client, count: int) -> list[int]:
    return [client.get("/api/v1/locations/").status_code for _ in range(count)]


def test_given_a_key_limited_to_3_a_minute_when_it_sends_a_4th_then_429_in_the_error_shape_with_retry_after(clock):
    client = _client(_key("shop", 3))

    statuses = _statuses(client, 3)
    refused = client.get("/api/v1/locations/")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "throttled"
    assert refused["Retry-After"] == "15"


def test_given_one_key_over_its_limit_when_another_key_calls_then_it_is_served(clock):
    busy, quiet = _client(_key("busy", 2)), _client(_key("quiet", 2))
    _statuses(busy, 3)

    assert quiet.get("/api/v1/locations/").status_code == 200
    assert busy.get("/api/v1/locations/").status_code == 429


def test_given_a_throttled_key_when_the_minute_turns_then_it_is_served_again(clock):
    client = _client(_key("shop", 1))
    assert _statuses(client, 2) == [200, 429]

    clock.value = WINDOW_START + 60

    assert client.get("/api/v1/locations/").status_code == 200


def test_given_two_processes_using_one_key_then_their_requests_count_against_one_limit(clock):
    raw_key = _key("shop", 3)
    first_process, second_process = _client(raw_key), _client(raw_key)

    assert _statuses(first_process, 2) == [200, 200]
    authentication._recent.clear()  # the second process has nothing of the first in memory
    assert _statuses(second_process, 2) == [200, 429]


def test_given_a_throttled_key_when_the_shared_cache_forgets_its_count_then_it_is_served(clock):
    client = _client(_key("shop", 1))
    assert _statuses(client, 2) == [200, 429]

    cache.clear()

    assert client.get("/api/v1/locations/").status_code == 200


@override_settings(OMS_API_RATE_LIMIT_PER_MINUTE=2)
def test_given_a_key_without_its_own_limit_then_the_default_limit_applies(clock):
    client = _client(_key("shop", None))

    assert _statuses(client, 3) == [200, 200, 429]


def test_given_throttled_posts_then_they_are_refused_before_anything_is_recorded(clock, stocked):
    stocked("SKU-A", 10)
    client = _client(_key("shop", 1))
    client.get("/api/v1/locations/")

    response = client.post("/api/v1/orders/", order_payload(), format="json")

    assert response.status_code == 429
    assert not Order.objects.exists()
