"""Shared set-up of the fulfillment push tests: a catalogue, parcels shipped through the real
fulfillment services with their events dispatched, and what the timeline and the platform saw."""

from decimal import Decimal

import pytest

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start, fulfillment_order_ship
from orders.models import ChannelConnection, Order, OrderEvent
from orders.services import channel_fulfillment, order_start_fulfillment

from .payloads import shopify_line, shopify_order

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
ORDER_ID = 820982911946154508
SHIRT_LINE, CAP_LINE = 466157049, 518995019
FIRST_TRACKING, SECOND_TRACKING = "00340434161094042557", "00340434161094042564"


@pytest.fixture
def catalogue(stocked):
    stocked("SHIRT-M", 20, price=Decimal("25.00"), name="Linen shirt")
    stocked("CAP-1", 20, price=Decimal("12.00"), name="Cap")


@pytest.fixture
def ship(django_capture_on_commit_callbacks):
    """``ship(order, {"SHIRT-M": 2}, tracking)``: pack those units of the order's open fulfillment
    order and ship them with DHL, events dispatched as after a real commit."""

    def run(order, units: dict[str, int], tracking: str) -> FulfillmentOrder:
        fulfillment_order = FulfillmentOrder.objects.get(order=order, status=FulfillmentStatus.PENDING)
        quantities = {line.pk: units.get(line.order_line.sku, 0) for line in fulfillment_order.lines.select_related("order_line")}
        with django_capture_on_commit_callbacks(execute=True):
            fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor="picker")
            fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer", quantities=quantities)
            fulfillment_order_ship(
                fulfillment_order_id=fulfillment_order.pk, actor="dock", manual_carrier="DHL", tracking_number=tracking,
                tracking_url=f"https://www.dhl.com/track?id={tracking}",
            )
        return fulfillment_order

    return run


def mutations(platform, name: str) -> list[dict]:
    return [request["body"]["variables"] for request in platform.requests if f"mutation {name}" in request["body"]["query"]]


def timeline(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE).order_by("id").values_list("message", flat=True))


@pytest.fixture
def connected(shopify_channel, platform, sleeps, monkeypatch):
    """The Shopify channel calls the replay server, pushes fulfillments, and never really sleeps."""
    connection = ChannelConnection.objects.create(
        channel=shopify_channel, shopify_shop_domain="hatter.myshopify.com", shopify_access_token=TOKEN, push_fulfillments=True,
    )
    real = channel_fulfillment.client_for
    monkeypatch.setattr(
        channel_fulfillment, "client_for",
        lambda connection, **options: real(connection, base_url=platform.url, sleep=sleeps, jitter=lambda: 0.5, **options),
    )
    return connection


@pytest.fixture
def shop_order(catalogue, shopify, django_capture_on_commit_callbacks):
    """A Shopify order (3 shirts, 1 cap) taken in through its webhook and sent to the floor."""
    shopify(shop_order_payload())
    order = Order.objects.get(external_id=str(ORDER_ID))
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    return order


def shop_order_payload(**overrides) -> dict:
    """The Shopify order of these tests as its webhooks send it: 3 shirts and 1 cap, with fixed line ids."""
    return shopify_order(
        id=ORDER_ID,
        lines=[{**shopify_line("SHIRT-M", 3, "25.00"), "id": SHIRT_LINE}, {**shopify_line("CAP-1", 1, "12.00", title="Cap"), "id": CAP_LINE}],
        **overrides,
    )
