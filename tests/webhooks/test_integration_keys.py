"""Keys belong to integrations: created for one from the command line, refused while it is switched off."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from oms.models import ApiKey, Integration
from oms.webhooks import webhook_wants, webhooks_forget

from .conftest import integration_make

pytestmark = pytest.mark.django_db


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_create_api_key_for_an_integration_binds_the_key_to_it():
    shop = integration_make(code="shop", name="Web shop")
    out, err = StringIO(), StringIO()

    call_command("create_api_key", "shop-orders", "--integration", "shop", "--scopes", "orders:write", stdout=out, stderr=err)

    key = ApiKey.objects.get()
    assert key.integration == shop and key.matches(out.getvalue().strip())
    assert "Web shop" in err.getvalue()


def test_create_api_key_refuses_an_unknown_integration_and_creates_nothing():
    integration_make(code="shop")

    with pytest.raises(CommandError, match=r"No integration with code 'shpo'.*shop"):
        call_command("create_api_key", "typo", "--integration", "shpo", stdout=StringIO(), stderr=StringIO())

    assert not ApiKey.objects.exists()


@override_settings(OMS_API_KEY_CACHE_SECONDS=0)
def test_a_switched_off_integrations_keys_are_refused_and_work_again_when_it_is_back():
    shop = integration_make(code="shop")
    _, raw_key = ApiKey.generate(name="shop-key", integration=shop)
    _, lone_key = ApiKey.generate(name="lone-key")

    Integration.objects.filter(pk=shop.pk).update(is_active=False)
    refused = _client(raw_key).get("/api/v1/locations/")
    unaffected = _client(lone_key).get("/api/v1/locations/")
    Integration.objects.filter(pk=shop.pk).update(is_active=True)
    back = _client(raw_key).get("/api/v1/locations/")

    assert refused.status_code == 401 and "switched off" in refused.json()["error"]["message"]
    assert unaffected.status_code == 200 and back.status_code == 200


def test_a_remembered_key_costs_no_query_for_its_integration(django_assert_num_queries):
    _, raw_key = ApiKey.generate(name="shop-key", integration=integration_make(code="shop"))
    client = _client(raw_key)
    client.get("/api/v1/locations/")

    with django_assert_num_queries(1):  # the locations themselves
        assert client.get("/api/v1/locations/").status_code == 200


def test_a_switched_off_integrations_subscriptions_want_nothing(subscribe, receiver):
    shop = integration_make(code="shop")
    subscribe(receiver.url, integration=shop, events=["order.created"])
    assert webhook_wants("order.created")

    Integration.objects.filter(pk=shop.pk).update(is_active=False)
    webhooks_forget()

    assert not webhook_wants("order.created")
