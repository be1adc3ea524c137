"""Shipments passed back to Shopify, parcel by parcel, against recorded answers replayed on
127.0.0.1: what is sent, what is recorded, and that nothing is sent twice."""

from datetime import timedelta

from django.utils import timezone

from fulfillment.services import fulfillment_order_deliver
from oms.events import event_dispatch_now
from oms.models import DomainEvent
from orders.models import ChannelConnection, ChannelFulfillmentSync, Order, OrderStatus
from orders.services import order_cancel
from orders.services import channel_fulfillment
from orders.services.channel_fulfillment import channel_fulfillment_retry, channel_fulfillments_sweep

from .fulfillment_push_support import (  # noqa: F401  (fixtures)
    CAP_LINE, FIRST_TRACKING, ORDER_ID, SECOND_TRACKING, SHIRT_LINE, catalogue, connected, mutations, ship, shop_order, timeline,
)
from .payloads import shopify_line, shopify_order

Sync = ChannelFulfillmentSync


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
    delivered_event = DomainEvent.objects.get(name="fulfillment.delivered")
    assert event == {"fulfillmentEvent": {
        "fulfillmentId": "gid://shopify/Fulfillment/1069019880", "status": "DELIVERED", "happenedAt": delivered_event.created_at.isoformat(),
    }}
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


def test_an_order_cancelled_in_the_oms_is_cancelled_on_shopify_with_a_refund_and_no_restock(
    connected, shop_order, platform, django_capture_on_commit_callbacks,
):
    platform.play("shopify/order_fulfillment_orders_open", "shopify/order_cancel_ok")

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=shop_order.pk, actor="agent", reason="customer changed their mind")

    [cancel] = mutations(platform, "OrderCancel")
    assert cancel == {
        "orderId": f"gid://shopify/Order/{ORDER_ID}", "reason": "OTHER", "restock": False, "notifyCustomer": True,
        "staffNote": f"Cancelled in the OMS ({shop_order.number}): customer changed their mind",
        "refundMethod": {"originalPaymentMethodsRefund": True},
    }
    sync = Sync.objects.get(order=shop_order, action=Sync.Action.CANCEL)
    assert (sync.status, sync.platform_id) == (Sync.Status.SENT, "gid://shopify/Job/4b1bd9a5-0c4a-4f0f-9a7e-3c1d8d5e2f60")


def test_an_order_shopify_already_cancelled_is_not_cancelled_again(connected, shop_order, platform, django_capture_on_commit_callbacks):
    platform.play("shopify/order_fulfillment_orders_cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=shop_order.pk, actor="agent")

    assert mutations(platform, "OrderCancel") == []
    assert Sync.objects.get(order=shop_order, action=Sync.Action.CANCEL).status == Sync.Status.SENT


def test_a_cancellation_that_came_from_shopify_is_not_echoed_back(connected, catalogue, shopify, platform, django_capture_on_commit_callbacks):
    payload = shopify_order(lines=[shopify_line("SHIRT-M", 1, "25.00")])
    shopify(payload)

    with django_capture_on_commit_callbacks(execute=True):
        shopify({**payload, "cancelled_at": "2026-12-04T08:00:00-05:00", "cancel_reason": "customer"}, topic="orders/cancelled")

    order = Order.objects.get(external_id=str(payload["id"]))
    assert order.status == OrderStatus.CANCELLED
    assert Sync.objects.filter(order=order).count() == 0 and platform.requests == []


def test_a_429_asking_a_long_wait_is_rescheduled_for_after_it_not_slept_through(connected, shop_order, ship, platform, sleeps):
    before = timezone.now()
    platform.play("shopify/too_many_requests_long")

    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)

    sync = Sync.objects.get(order=shop_order)
    assert sleeps == [] and sync.status == Sync.Status.RETRYING
    assert sync.next_attempt_at >= before + timedelta(seconds=120) and "asks to wait 120 s" in sync.last_error
    assert channel_fulfillments_sweep() == 0  # not due yet


def test_a_platform_that_keeps_failing_is_given_up_for_a_person_after_the_allowed_tries(connected, shop_order, ship, platform):
    platform.play("shopify/order_fulfillment_orders_open", *["shopify/bad_gateway"] * 3)
    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)
    sync = Sync.objects.get(order=shop_order)
    Sync.objects.filter(pk=sync.pk).update(attempts=channel_fulfillment.MAX_ATTEMPTS - 1, next_attempt_at=sync.created_at)

    platform.play("shopify/order_fulfillment_orders_open", *["shopify/bad_gateway"] * 3)
    channel_fulfillments_sweep()

    sync.refresh_from_db()
    assert sync.status == Sync.Status.REFUSED and sync.last_error.startswith(f"gave up after {channel_fulfillment.MAX_ATTEMPTS} tries")
