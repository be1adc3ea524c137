import re

import pytest
from django.urls import reverse

from customers.models import CustomerAddress, PriceList, PriceListItem
from inventory.models import Bin
from oms.models import ApiKey, DomainEvent

from ..factories import CustomerFactory, CustomerGroupFactory, LocationFactory, ProductFactory, place_order
from .conftest import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_an_index_with_what_it_may_see(console, role):
    page = console(role).get(reverse("admin:index"))

    assert page.status_code == 200
    assert reverse("admin:orders_order_changelist") in page.content.decode()


def test_catalogue_customer_and_kernel_pages_render_for_an_operations_manager(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    location = LocationFactory(code="east", name="East DC")
    Bin.objects.create(location=location, code="A-01-01", zone="A", pick_sequence=10)
    customer = CustomerFactory(email="ops@example.com")
    CustomerAddress.objects.create(customer=customer, name="Ops", line1="1 Road", city="Austin", country="US")
    group = CustomerGroupFactory()
    price_list = PriceList.objects.create(code="trade", name="Trade")
    PriceListItem.objects.create(price_list=price_list, sku="SKU-A", price="15.00")
    client = console("Operations manager")

    pages = [
        ("inventory", "product", ProductFactory(sku="SKU-A")), ("inventory", "location", location),
        ("customers", "customer", customer), ("customers", "customergroup", group), ("customers", "pricelist", price_list),
        ("orders", "channel", order.channel), ("oms", "domainevent", DomainEvent.objects.first()),
    ]
    for app, model, obj in pages:
        assert client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 200, model
        assert client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk])).status_code == 200, model
    assert "A-01-01" in client.get(reverse("admin:inventory_location_change", args=[location.pk])).content.decode()
    assert "1 Road" in client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert "15.00" in client.get(reverse("admin:customers_pricelist_change", args=[price_list.pk])).content.decode()
    assert client.get(reverse("admin:inventory_product_add")).status_code == 200


def test_domain_events_are_read_only(console, stocked):
    stocked("SKU-A", 5)
    event = DomainEvent.objects.first()
    client = console("Operations manager")

    edited = client.post(reverse("admin:oms_domainevent_change", args=[event.pk]), {"name": "forged"})

    assert edited.status_code == 403
    assert DomainEvent.objects.get(pk=event.pk).name == event.name


def test_creating_an_api_key_shows_the_raw_key_once_and_stores_only_its_hash(console):
    client = console("Operations manager")

    response = client.post(reverse("admin:oms_apikey_add"), {"name": "shop", "scopes": ["orders:read", "orders:write"], "is_active": "on"}, follow=True)

    key = ApiKey.objects.get()
    raw = re.search(r"<code>(oms_[^<]+)</code>", response.content.decode()).group(1)
    assert key.matches(raw) and raw not in (key.hashed_key, key.prefix)
    assert key.scopes == ["orders:read", "orders:write"] and key.created_by == client.user
    page = client.get(reverse("admin:oms_apikey_change", args=[key.pk])).content.decode()
    assert raw not in page and key.prefix in page
    assert 'name="hashed_key"' not in page and 'name="prefix"' not in page


def test_a_customer_service_user_cannot_manage_api_keys(console):
    client = console("Customer service")

    assert client.get(reverse("admin:oms_apikey_add")).status_code == 403
    assert client.post(reverse("admin:oms_apikey_add"), {"name": "sneaky"}).status_code == 403
    assert not ApiKey.objects.exists()
