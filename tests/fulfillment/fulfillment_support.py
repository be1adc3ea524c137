"""Shared set-up of the fulfillment-order tests: orders driven into fulfillment by the services."""

import pytest

from django.utils import timezone

from fulfillment.models import FulfillmentOrder, Package, PackageType
from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start, fulfillment_order_ship
from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.models import Order
from orders.services import order_start_fulfillment
from shipping.demo import demo_shipping_seed
from shipping.models import Shipment
from shipping.selectors import rate_card_forget

from ..factories import LocationFactory, ProductFactory, place_order
from ..inventory.invariants import stock_invariant_violations


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def fresh_fo(fulfillment_order: FulfillmentOrder) -> FulfillmentOrder:
    return FulfillmentOrder.objects.get(pk=fulfillment_order.pk)


def stock_at(sku: str, location) -> tuple[int, int]:
    """(on hand, reserved) of a SKU at a location."""
    level = StockLevel.objects.filter(product__sku=sku, location=location).first()
    return (level.on_hand, level.reserved) if level else (0, 0)


@pytest.fixture(autouse=True)
def ledger_reconciles(db):
    """Every scenario ends with counters equal to the ledger and reservations equal to allocations."""
    yield
    assert stock_invariant_violations() == []


@pytest.fixture
def carriers(db):
    """The demo carriers: OMS Post (US, S10 numbers "CP…US") and EuroParcel (Europe only)."""
    rate_card_forget()
    demo_shipping_seed()
    yield
    rate_card_forget()


@pytest.fixture
def east(db):
    """A second warehouse (the first is the suite's Chicago `warehouse`)."""
    return LocationFactory(code="newark", name="Newark DC", city="Newark", latitude=40.73, longitude=-74.17)


@pytest.fixture
def receive(db, web_channel):
    def make(sku: str, quantity: int, location) -> None:
        ProductFactory(sku=sku)
        stock_receive(sku=sku, location=location.code, quantity=quantity, actor="test")

    return make


@pytest.fixture
def in_fulfillment(django_capture_on_commit_callbacks):
    """``in_fulfillment([("SKU-A", 2)])``: an order placed and sent to fulfillment, with the
    ``order.fulfillment_started`` event dispatched as after a real commit."""

    def make(lines) -> Order:
        order = place_order(lines)
        with django_capture_on_commit_callbacks(execute=True):
            order_start_fulfillment(order_id=order.pk, actor="test")
        return fresh(order)

    return make


def ship_in_one_box(order: Order, capture) -> Shipment:
    """Send a placed order to fulfillment (``capture``: django_capture_on_commit_callbacks, so its
    fulfillment order is made), pick, pack it into one weighed box and ship it with the carrier
    rate shopping picks; the shipment booked."""
    with capture(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    fulfillment_order = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer")
    box, _ = PackageType.objects.get_or_create(
        code="box", defaults={"name": "Box", "inner_length_mm": 300, "inner_width_mm": 200, "inner_height_mm": 150, "max_weight_grams": 5000},
    )
    Package.objects.create(fulfillment_order=fulfillment_order, package_type=box, weight_grams=1200, closed_at=timezone.now())
    fulfillment_order_ship(fulfillment_order_id=fulfillment_order.pk, actor="dock")
    return Shipment.objects.get(reference=fulfillment_order.number)
