"""Shipments passed back to WooCommerce against recorded answers replayed on 127.0.0.1: the
Shipment Tracking meta, a note naming carrier, tracking and items, ``completed`` once the whole
order shipped; deliveries and cancellations; nothing twice."""

import pytest

from fulfillment.services import fulfillment_order_deliver
from orders.models import ChannelConnection, ChannelFulfillmentSync, Order, OrderStatus
from orders.services import channel_fulfillment, order_cancel, order_start_fulfillment
from orders.services.channel_fulfillment import channel_fulfillments_sweep

from .fulfillment_push_support import FIRST_TRACKING, SECOND_TRACKING, catalogue, ship, timeline  # noqa: F401  (fixtures)
from .payloads import woo_line, woo_order

Sync = ChannelFulfillmentSync
WOO_ORDER = 727
TRACKING_META = "_wc_shipment_tracking_items"


@pytest.fixture
def connected(woo_channel, platform, sleeps, monkeypatch):
    connection = ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_secret_9f",
        push_fulfillments=True,
    )
    real = channel_fulfillment.client_for
    monkeypatch.setattr(
        channel_fulfillment, "client_for", lambda connection, **options: real(connection, sleep=sleeps, jitter=lambda: 0.5, **options),
    )
    return connection


@pytest.fixture
def shop_order(catalogue, woo, django_capture_on_commit_callbacks):
    """A WooCommerce order (1 shirt, 2 caps) taken in through its webhook and sent to the floor."""
    woo(woo_order(id=WOO_ORDER, lines=[
        {**woo_line("SHIRT-M", 1, "25.00", "25.00", name="Linen shirt"), "id": 316}, {**woo_line("CAP-1", 2, "24.00", "24.00", name="Cap"), "id": 315},
    ]))
    order = Order.objects.get(external_id=str(WOO_ORDER))
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    return order


def calls(platform) -> list[tuple[str, str]]:
    return [(request["method"], request["path"].removeprefix("/wp-json/wc/v3/")) for request in platform.requests]


def test_intake_keeps_each_line_s_woocommerce_line_item_id(connected, shop_order):
    assert [(line.sku, line.external_line_id) for line in shop_order.lines.order_by("line_number")] == [("SHIRT-M", "316"), ("CAP-1", "315")]


def test_a_whole_order_in_one_parcel_gets_tracking_meta_completed_and_a_customer_note(connected, shop_order, ship, platform):
    platform.play("woocommerce/order_processing", "woocommerce/order_updated_completed", "woocommerce/order_note_created")

    ship(shop_order, {"SHIRT-M": 1, "CAP-1": 2}, FIRST_TRACKING)

    assert calls(platform) == [("GET", f"orders/{WOO_ORDER}"), ("PUT", f"orders/{WOO_ORDER}"), ("POST", f"orders/{WOO_ORDER}/notes")]
    update = platform.requests[1]["body"]
    assert update["status"] == "completed"
    [meta] = update["meta_data"]
    [item] = meta["value"]
    assert meta["key"] == TRACKING_META
    assert (item["custom_tracking_provider"], item["tracking_number"], item["custom_tracking_link"]) == (
        "DHL", FIRST_TRACKING, f"https://www.dhl.com/track?id={FIRST_TRACKING}",
    )
    note = platform.requests[2]["body"]
    assert note == {
        "note": f"Shipped with DHL, tracking {FIRST_TRACKING} (https://www.dhl.com/track?id={FIRST_TRACKING}): 1 × Linen shirt, 2 × Cap.",
        "customer_note": True,
    }
    sync = Sync.objects.get(order=shop_order)
    assert (sync.status, sync.platform_id) == (Sync.Status.SENT, "281")


def test_a_first_parcel_adds_its_tracking_but_does_not_complete_the_order(connected, shop_order, ship, platform):
    platform.play("woocommerce/order_processing", "woocommerce/order_updated", "woocommerce/order_note_created")

    ship(shop_order, {"CAP-1": 2}, FIRST_TRACKING)

    update = platform.requests[1]["body"]
    assert "status" not in update and update["meta_data"][0]["value"][0]["tracking_number"] == FIRST_TRACKING
    assert platform.requests[2]["body"]["note"].endswith(": 2 × Cap.")


def test_a_second_parcel_keeps_the_first_tracking_item_and_adds_its_own(connected, shop_order, ship, platform):
    # given WooCommerce holds the first parcel's tracking item
    platform.play("woocommerce/order_processing", "woocommerce/order_updated", "woocommerce/order_note_created")
    ship(shop_order, {"CAP-1": 2}, FIRST_TRACKING)

    platform.play("woocommerce/order_with_tracking", "woocommerce/order_updated_completed", "woocommerce/order_note_created")
    ship(shop_order, {"SHIRT-M": 1}, SECOND_TRACKING)

    update = platform.requests[4]["body"]
    assert [item["tracking_number"] for item in update["meta_data"][0]["value"]] == [FIRST_TRACKING, SECOND_TRACKING]
    assert update["status"] == "completed"


def test_a_note_that_failed_is_sent_again_later_without_adding_the_tracking_twice(connected, shop_order, ship, platform, sleeps):
    # given the tracking went through but the note kept failing (503)
    platform.play("woocommerce/order_processing", "woocommerce/order_updated_completed", *["woocommerce/service_unavailable"] * 3)
    ship(shop_order, {"SHIRT-M": 1, "CAP-1": 2}, FIRST_TRACKING)
    sync = Sync.objects.get(order=shop_order)
    assert sync.status == Sync.Status.RETRYING and "503" in sync.last_error

    # when the sweep tries again: WooCommerce already shows the tracking item
    platform.play("woocommerce/order_completed_with_tracking", "woocommerce/order_note_created")
    Sync.objects.filter(pk=sync.pk).update(next_attempt_at=sync.created_at)
    channel_fulfillments_sweep()

    # then only the note is sent
    assert [call for call in calls(platform) if call[0] == "PUT"] == [("PUT", f"orders/{WOO_ORDER}")]
    assert calls(platform)[-2:] == [("GET", f"orders/{WOO_ORDER}"), ("POST", f"orders/{WOO_ORDER}/notes")]
    sync.refresh_from_db()
    assert (sync.status, sync.attempts) == (Sync.Status.SENT, 2)


def test_a_429_waits_what_woocommerce_asks_then_goes_on(connected, shop_order, ship, platform, sleeps):
    platform.play(
        "woocommerce/too_many_requests", "woocommerce/order_processing", "woocommerce/order_updated_completed", "woocommerce/order_note_created",
    )

    ship(shop_order, {"SHIRT-M": 1, "CAP-1": 2}, FIRST_TRACKING)

    # The 429's Retry-After, then at most the connection's pace between calls (5 a second).
    assert sleeps[0] == 3.0 and all(pause <= 0.2 for pause in sleeps[1:])
    assert Sync.objects.get(order=shop_order).status == Sync.Status.SENT


def test_delivery_is_a_note_on_the_order(connected, shop_order, ship, platform, django_capture_on_commit_callbacks):
    platform.play("woocommerce/order_processing", "woocommerce/order_updated_completed", "woocommerce/order_note_created")
    fulfillment_order = ship(shop_order, {"SHIRT-M": 1, "CAP-1": 2}, FIRST_TRACKING)

    platform.play("woocommerce/order_note_created")
    with django_capture_on_commit_callbacks(execute=True):
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor="carrier:dhl")

    assert platform.requests[-1]["body"] == {
        "note": f"Delivered: the parcel {fulfillment_order.number} (tracking {FIRST_TRACKING}) arrived.", "customer_note": False,
    }
    assert Sync.objects.get(order=shop_order, action=Sync.Action.DELIVER).status == Sync.Status.SENT


def test_an_order_cancelled_in_the_oms_is_set_cancelled_in_woocommerce(connected, shop_order, platform, django_capture_on_commit_callbacks):
    platform.play("woocommerce/order_cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=shop_order.pk, actor="agent")

    assert calls(platform) == [("PUT", f"orders/{WOO_ORDER}")] and platform.requests[0]["body"] == {"status": "cancelled"}
    assert Sync.objects.get(order=shop_order, action=Sync.Action.CANCEL).status == Sync.Status.SENT


def test_a_refused_cancellation_keeps_woocommerce_s_reason(connected, shop_order, platform, django_capture_on_commit_callbacks):
    platform.play("woocommerce/order_refused_status")

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=shop_order.pk, actor="agent")

    sync = Sync.objects.get(order=shop_order, action=Sync.Action.CANCEL)
    assert sync.status == Sync.Status.REFUSED and "HTTP 400" in sync.last_error and "Invalid parameter(s): status" in sync.last_error
    assert any("Cancellation to Woo DE: not passed on" in note for note in timeline(shop_order))


def test_a_cancellation_that_came_from_woocommerce_is_not_echoed_back(connected, catalogue, woo, platform, django_capture_on_commit_callbacks):
    payload = woo_order(lines=[woo_line("CAP-1", 1, "12.00", "12.00")])
    woo(payload)

    with django_capture_on_commit_callbacks(execute=True):
        woo({**payload, "status": "cancelled"}, topic="order.updated")

    order = Order.objects.get(external_id=str(payload["id"]))
    assert order.status == OrderStatus.CANCELLED and Sync.objects.filter(order=order).count() == 0 and platform.requests == []
