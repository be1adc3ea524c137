"""The planned renderer gives exactly what DRF's own serializer rendering gives."""

import pytest
from django.utils import timezone

from inventory.api.serializers import ProductSerializer
from inventory.models import Product
from oms.api.representation import _prototype, represent, represent_many
from orders.api.serializers import OrderEventSerializer, OrderSerializer
from orders.models import OrderEvent, OrderStatus
from orders.selectors import orders_with_details
from orders.services import order_cancel

from ..factories import ProductFactory, address, place_order

pytestmark = pytest.mark.django_db


def drf(serializer_class, instance) -> dict:
    return dict(_prototype(serializer_class).to_representation(instance))


def test_orders_in_every_shape_render_as_drf_renders_them(stocked):
    stocked("SKU-A", 5)
    stocked("SKU-B", 0)
    place_order([("SKU-A", 2), ("SKU-B", 1)], billing_address=address(city="Boston"))  # partly reserved, two addresses
    place_order([("SKU-UNKNOWN", 1)])  # on hold, unknown product
    cancelled = place_order([("SKU-A", 1)], currency="JPY")
    order_cancel(order_id=cancelled.pk, actor="test", reason="changed mind")
    orders = list(orders_with_details())

    assert {order.status for order in orders} >= {OrderStatus.ON_HOLD, OrderStatus.CANCELLED}
    assert represent_many(OrderSerializer, orders) == [drf(OrderSerializer, order) for order in orders]
    assert represent(OrderSerializer, orders[0]) == drf(OrderSerializer, orders[0])


def test_audit_rows_and_products_render_as_drf_renders_them(stocked):
    stocked("SKU-A", 5)
    place_order([("SKU-A", 1)])
    ProductFactory(sku="SKU-C", cost=None)
    Product.objects.filter(sku="SKU-A").update(updated_at=timezone.now())
    events = list(OrderEvent.objects.all())
    products = list(Product.objects.all())

    assert represent_many(OrderEventSerializer, events) == [drf(OrderEventSerializer, event) for event in events]
    assert represent_many(ProductSerializer, products) == [drf(ProductSerializer, product) for product in products]


def test_every_listed_resource_renders_as_drf_renders_it(stocked, django_capture_on_commit_callbacks):
    from customers.api.serializers import CustomerSerializer
    from customers.selectors import customers_with_details
    from inventory.api.serializers import StockLevelSerializer, StockMovementSerializer
    from inventory.selectors import stock_levels_listing, stock_movements_listing
    from oms.api.serializers import DeliverySerializer, EventSerializer, SubscriptionSerializer
    from oms.models import DomainEvent, Integration, WebhookDelivery, WebhookSubscription
    from oms.webhooks import webhook_subscription_create

    stocked("SKU-A", 5)
    integration = Integration.objects.create(code="shop", name="Shop")
    webhook_subscription_create(integration=integration, url="http://127.0.0.1:9/hooks", events=["order.*"], actor="test")
    with django_capture_on_commit_callbacks(execute=True):
        place_order([("SKU-A", 1)])

    listed = {
        CustomerSerializer: customers_with_details(),
        StockLevelSerializer: stock_levels_listing(),
        StockMovementSerializer: stock_movements_listing(),
        EventSerializer: DomainEvent.objects.all(),
        SubscriptionSerializer: WebhookSubscription.objects.select_related("integration"),
        DeliverySerializer: WebhookDelivery.objects.select_related("event", "subscription"),
    }
    for serializer_class, queryset in listed.items():
        rows = list(queryset)
        assert rows, serializer_class.__name__
        assert represent_many(serializer_class, rows) == [drf(serializer_class, row) for row in rows], serializer_class.__name__
