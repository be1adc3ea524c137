"""Shipments passed back to Shopify, parcel by parcel, against recorded answers replayed on
127.0.0.1: what is sent, what is recorded, and that nothing is sent twice."""

from decimal import Decimal

import pytest

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from fulfillment.services import fulfillment_order_deliver, fulfillment_order_pack, fulfillment_order_picking_start, fulfillment_order_ship
from oms.events import event_dispatch_now
from oms.models import DomainEvent
from orders.models import ChannelConnection, ChannelFulfillmentSync, Order, OrderEvent
from orders.services import order_start_fulfillment
from orders.services import channel_fulfillment
from orders.services.channel_fulfillment import channel_fulfillment_retry, channel_fulfillments_sweep

from .payloads import shopify_line, shopify_order

Sync = ChannelFulfillmentSync
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
ORDER_ID = 820982911946154508
SHIRT_LINE, CAP_LINE = 466157049, 518995019
FIRST_TRACKING, SECOND_TRACKING = "00340434161094042557", "00340434161094042564"
GRAPHQL = "/admin/api/2026-07/graphql.json"


@pytest.fixture
def catalogue(stocked):
    stocked("SHIRT-M", 20, price=Decimal("25.00"))
    stocked("CAP-1", 20, price=Decimal("12.00"))


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
    payload = shopify_order(
        id=ORDER_ID,
        lines=[{**shopify_line("SHIRT-M", 3, "25.00"), "id": SHIRT_LINE}, {**shopify_line("CAP-1", 1, "12.00", title="Cap"), "id": CAP_LINE}],
    )
    shopify(payload)
    order = Order.objects.get(external_id=str(ORDER_ID))
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    return order


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


def test_intake_keeps_each_line_s_shopify_line_item_id(connected, shop_order):
    assert [(line.sku, line.external_line_id) for line in shop_order.lines.order_by("line_number")] == [
        ("SHIRT-M", str(SHIRT_LINE)), ("CAP-1", str(CAP_LINE)),
    ]


def test_two_parcels_of_one_order_become_two_shopify_fulfillments_with_exactly_their_lines(connected, shop_order, ship, platform):
    # given Shopify's fulfillment order holds 3 shirts and 1 cap
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")

    # when 2 shirts ship in a first parcel
    first = ship(shop_order, {"SHIRT-M": 2}, FIRST_TRACKING)

    # then Shopify gets one fulfillment of 2 shirts with DHL's tracking number and URL
    [created] = mutations(platform, "FulfillmentCreate")
    assert created["fulfillment"] == {
        "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000818",
            "fulfillmentOrderLineItems": [{"id": "gid://shopify/FulfillmentOrderLineItem/1072503286", "quantity": 2}],
        }],
        "trackingInfo": {"company": "DHL", "number": FIRST_TRACKING, "url": f"https://www.dhl.com/track?id={FIRST_TRACKING}"},
        "notifyCustomer": True,
    }
    assert platform.requests[0]["body"]["variables"] == {"id": f"gid://shopify/Order/{ORDER_ID}"}

    # when the rest (1 shirt, 1 cap) ships in a second parcel
    platform.play("shopify/order_fulfillment_orders_after_first_parcel", "shopify/fulfillment_create_second")
    second = ship(shop_order, {"SHIRT-M": 1, "CAP-1": 1}, SECOND_TRACKING)

    # then a second fulfillment holds exactly those two lines
    _, created = mutations(platform, "FulfillmentCreate")
    [by_order] = created["fulfillment"]["lineItemsByFulfillmentOrder"]
    assert by_order["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1072503286", "quantity": 1},
        {"id": "gid://shopify/FulfillmentOrderLineItem/1072503287", "quantity": 1},
    ]
    assert created["fulfillment"]["trackingInfo"]["number"] == SECOND_TRACKING

    # and each parcel is recorded as sent with the fulfillment Shopify made of it
    syncs = {sync.fulfillment_ref: sync for sync in Sync.objects.filter(order=shop_order, action=Sync.Action.SHIP)}
    assert {ref: (sync.status, sync.platform_id, sync.attempts) for ref, sync in syncs.items()} == {
        first.number: (Sync.Status.SENT, "gid://shopify/Fulfillment/1069019880", 1),
        second.number: (Sync.Status.SENT, "gid://shopify/Fulfillment/1069019881", 1),
    }
    assert [(line["sku"], line["quantity"]) for line in syncs[second.number].payload["lines"]] == [("SHIRT-M", 1), ("CAP-1", 1)]
    assert any(note.startswith(f"Shipment of {first.number} to Shopify US: Shopify fulfillment") for note in timeline(shop_order))


def test_a_redelivered_shipped_event_or_a_task_run_again_sends_nothing_more(connected, shop_order, ship, platform):
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")
    fulfillment_order = ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)
    sent = len(platform.requests)

    # when the outbox sweep hands the same event to its subscribers again, and the task runs again
    event = DomainEvent.objects.get(name="fulfillment.shipped", payload__fulfillment_order=fulfillment_order.number)
    DomainEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    event_dispatch_now(event.pk)
    sync = Sync.objects.get(order=shop_order)
    channel_fulfillment.channel_fulfillment_send(sync_id=sync.pk, actor="test")
    channel_fulfillments_sweep()

    # then Shopify heard of the parcel once
    assert len(platform.requests) == sent and Sync.objects.filter(order=shop_order).count() == 1
    assert len(mutations(platform, "FulfillmentCreate")) == 1


def test_a_fulfillment_applied_though_its_answer_was_lost_is_found_by_its_tracking_number_not_made_again(
    connected, shop_order, ship, platform, sleeps,
):
    # given Shopify answers 502 to every try of the fulfillment (it may have applied it)
    platform.play("shopify/order_fulfillment_orders_open", *["shopify/bad_gateway"] * 3)
    fulfillment_order = ship(shop_order, {"SHIRT-M": 2}, FIRST_TRACKING)
    sync = Sync.objects.get(order=shop_order)
    assert (sync.status, sync.attempts) == (Sync.Status.RETRYING, 1)
    assert "did not answer" in sync.last_error and sync.next_attempt_at is not None

    # when the retry comes and Shopify shows a fulfillment with the parcel's tracking number
    platform.play("shopify/order_fulfillment_orders_after_first_parcel")
    Sync.objects.filter(pk=sync.pk).update(next_attempt_at=sync.created_at)
    with_creates = len(mutations(platform, "FulfillmentCreate"))
    channel_fulfillments_sweep()

    # then it is taken as the result: sent, with that fulfillment, and nothing created again
    sync.refresh_from_db()
    assert (sync.status, sync.platform_id, sync.attempts) == (Sync.Status.SENT, "gid://shopify/Fulfillment/1069019880", 2)
    assert len(mutations(platform, "FulfillmentCreate")) == with_creates == 3
    assert fulfillment_order.number in sync.fulfillment_ref


def test_a_429_is_waited_out_and_sent_again(connected, shop_order, ship, platform, sleeps):
    platform.play("shopify/too_many_requests", "shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")

    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)

    assert sleeps == [2.0]
    assert Sync.objects.get(order=shop_order).status == Sync.Status.SENT


def test_a_refusal_is_kept_with_shopify_s_reason_shown_on_the_order_and_sent_again_by_hand(
    connected, shop_order, ship, platform, django_capture_on_commit_callbacks,
):
    # given Shopify refuses the fulfillment
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_user_errors")
    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)

    # then it is refused with Shopify's words, not retried by the sweep, and the timeline says so
    sync = Sync.objects.get(order=shop_order)
    assert sync.status == Sync.Status.REFUSED and sync.next_attempt_at is None
    assert "Invalid fulfillment order line item quantity requested." in sync.last_error
    assert channel_fulfillments_sweep() == 0
    assert any("not passed on" in note and "Invalid fulfillment order line item quantity" in note for note in timeline(shop_order))

    # when a person sends it again and Shopify takes it
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")
    with django_capture_on_commit_callbacks(execute=True):
        channel_fulfillment_retry(sync_id=sync.pk, actor="agent")

    sync.refresh_from_db()
    assert (sync.status, sync.platform_id, sync.last_error) == (Sync.Status.SENT, "gid://shopify/Fulfillment/1069019880", "")


def test_more_units_than_shopify_has_left_to_fulfil_is_refused_without_creating_anything(connected, shop_order, ship, platform):
    # given Shopify shows 1 shirt left (the first parcel was fulfilled there by hand, without tracking)
    platform.play("shopify/order_fulfillment_orders_after_first_parcel")

    ship(shop_order, {"SHIRT-M": 2}, SECOND_TRACKING)

    sync = Sync.objects.get(order=shop_order)
    assert sync.status == Sync.Status.REFUSED and "has 1 of SHIRT-M" in sync.last_error
    assert mutations(platform, "FulfillmentCreate") == []


def test_delivery_is_passed_on_as_a_delivered_event_on_the_parcel_s_fulfillment(
    connected, shop_order, ship, platform, django_capture_on_commit_callbacks,
):
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")
    fulfillment_order = ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)

    platform.play("shopify/fulfillment_event_create_ok")
    with django_capture_on_commit_callbacks(execute=True):
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor="carrier:dhl")

    [event] = mutations(platform, "FulfillmentEventCreate")
    assert event == {"fulfillmentEvent": {"fulfillmentId": "gid://shopify/Fulfillment/1069019880", "status": "DELIVERED"}}
    delivered = Sync.objects.get(order=shop_order, action=Sync.Action.DELIVER)
    assert (delivered.status, delivered.platform_id) == (Sync.Status.SENT, "gid://shopify/FulfillmentEvent/944956395")


def test_a_delivery_before_its_shipment_reached_shopify_waits_for_it(connected, shop_order, ship, platform, django_capture_on_commit_callbacks):
    # given the shipment is still retrying (Shopify unavailable)
    platform.play("shopify/order_fulfillment_orders_open", *["shopify/bad_gateway"] * 3)
    fulfillment_order = ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)
    sent = len(platform.requests)

    with django_capture_on_commit_callbacks(execute=True):
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor="carrier:dhl")

    delivered = Sync.objects.get(order=shop_order, action=Sync.Action.DELIVER)
    assert delivered.status == Sync.Status.RETRYING and "waits until the shipment" in delivered.last_error
    assert len(platform.requests) == sent


def test_a_channel_that_does_not_push_fulfillments_records_and_sends_nothing(connected, shop_order, ship, platform):
    ChannelConnection.objects.filter(pk=connected.pk).update(push_fulfillments=False)

    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)

    assert Sync.objects.count() == 0 and platform.requests == []
