"""Shipping a fulfillment order rate-shops under its channel's policy, to deliver by the date
promised to the customer.

On the demo carriers, a parcel handed to OMS Post on Monday 2 March 2026 before the cut-off,
from Chicago to Boston, arrives: overnight Tue 3, express Wed 4, ground Fri 6, pickup point
Mon 9; the prices rise the other way round (pickup point the cheapest, overnight the dearest).
The orders here go to the customer's door, so the pickup-point service is never chosen.
"""

import datetime

import pytest
from django.utils import timezone

from fulfillment.models import FulfillmentOrder, Package
from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start, fulfillment_order_ship
from orders.models import Channel, OrderEvent
from orders.services import order_start_fulfillment
from shipping.demo import demo_shipping_seed
from shipping.shopping import CHEAPEST_ON_TIME, FASTEST_WITHIN_CAP

from ..factories import ChannelFactory, place_order
from .fulfillment_support import fresh_fo, ledger_reconciles, receive  # noqa: F401

MONDAY = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)  # 10:00 in New York, before OMS Post's 17:00 cut-off
TUESDAY, WEDNESDAY, FRIDAY = datetime.date(2026, 3, 3), datetime.date(2026, 3, 4), datetime.date(2026, 3, 6)


@pytest.fixture
def on_monday(monkeypatch):
    """The clock stands still on Monday morning, so delivery dates are the same on every run."""
    monkeypatch.setattr(timezone, "now", lambda: MONDAY)


@pytest.fixture
def carriers(db, on_monday):
    demo_shipping_seed()


@pytest.fixture
def ship(receive, warehouse, carriers, django_capture_on_commit_callbacks):
    """``ship(channel policy fields, order fields)``: an order of 2 × SKU-A from Chicago to Boston,
    placed on Monday, packed in one 1.5 kg box and shipped without naming a service; returns the
    fulfillment order as stored and the order's timeline note about it."""

    def make(channel: dict | None = None, **order_fields):
        ChannelFactory(code="web")
        Channel.objects.filter(code="web").update(**(channel or {}))
        receive("SKU-A", 10, warehouse)
        order = place_order([("SKU-A", 2)], placed_at=MONDAY, **order_fields)
        with django_capture_on_commit_callbacks(execute=True):
            order_start_fulfillment(order_id=order.pk, actor="test")
        fo = FulfillmentOrder.objects.get(order=order)
        fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
        fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")
        Package.objects.create(fulfillment_order=fo, weight_grams=1500, closed_at=MONDAY)

        fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

        note = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE, message__contains="shipped").get().message
        return fresh_fo(fo), note

    return make


def test_given_no_channel_policy_and_no_promise_then_the_default_picks_the_cheapest_door_delivery(ship):
    fo, note = ship()

    assert fo.service_code == "ground"  # the pickup-point service is cheaper, but the order asked for no pickup point
    assert "default policy cheapest_on_time, no delivery date promised" in note


def test_given_a_channel_policy_then_it_is_chosen_over_the_default(ship, settings):
    settings.OMS_SHIPPING_POLICY = {"goal": "fastest_within_cap", "cost_cap": None, "allowed": []}  # alone: overnight

    fo, note = ship(channel={"shipping_goal": CHEAPEST_ON_TIME})

    assert fo.service_code == "ground"
    assert "channel web policy cheapest_on_time" in note


def test_given_a_promise_the_cheap_services_miss_then_cheapest_on_time_pays_for_a_faster_one(ship):
    fo, note = ship(channel={"shipping_goal": CHEAPEST_ON_TIME}, promised_delivery_date=WEDNESDAY)

    # Ground (Fri 6) would be late; overnight is on time but dearer.
    assert fo.service_code == "express"
    assert fo.shipment.promised_delivery_date <= WEDNESDAY
    assert "delivery promised by 2026-03-04" in note and "cheapest of 2 on time" in note


def test_given_channel_delivery_days_then_the_derived_promise_drives_the_choice(ship):
    fo, note = ship(channel={"shipping_goal": CHEAPEST_ON_TIME, "delivery_days": 4})

    assert fresh_fo(fo).promised_delivery_date == FRIDAY  # copied from the order
    assert fo.service_code == "ground"  # the cheapest on time for Friday; pickup point arrives Monday
    assert "delivery promised by 2026-03-06" in note


def test_given_the_default_policy_the_promise_still_counts(ship):
    fo, note = ship(promised_delivery_date=FRIDAY)

    assert fo.service_code == "ground"
    assert "default policy cheapest_on_time, delivery promised by 2026-03-06" in note


def test_given_a_promise_no_service_can_keep_then_the_earliest_ships_and_the_note_says_so(ship):
    fo, note = ship(channel={"shipping_goal": CHEAPEST_ON_TIME}, promised_delivery_date=MONDAY.date())

    assert fo.service_code == "overnight"
    assert "No service delivers by 2026-03-02" in note


def test_fastest_within_cap_takes_the_fastest_the_cap_affords(ship):
    # Without a cap: overnight. Capped just below overnight's price: the next fastest, express.
    uncapped, _ = ship(channel={"shipping_goal": FASTEST_WITHIN_CAP})
    cap = uncapped.shipment.price - 1

    capped, note = ship(channel={"shipping_goal": FASTEST_WITHIN_CAP, "shipping_cost_cap": cap})

    assert uncapped.service_code == "overnight"
    assert capped.service_code == "express" and capped.shipment.price <= cap
    assert f"within the {cap} cap" in note


def test_the_channel_allowed_services_limit_the_choice(ship):
    fo, _ = ship(channel={"shipping_goal": CHEAPEST_ON_TIME, "shipping_allowed": "oms-post:overnight, oms-post:express"})

    assert fo.service_code == "express"


def test_a_named_carrier_and_service_are_booked_as_asked_whatever_the_policy(receive, warehouse, carriers, django_capture_on_commit_callbacks):
    ChannelFactory(code="web")
    Channel.objects.filter(code="web").update(shipping_goal=FASTEST_WITHIN_CAP)
    receive("SKU-A", 10, warehouse)
    order = place_order([("SKU-A", 1)], placed_at=MONDAY, promised_delivery_date=TUESDAY)
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    fo = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")

    fulfillment_order_ship(fulfillment_order_id=fo.pk, carrier="oms-post", service="ground", actor="dock")

    assert fresh_fo(fo).service_code == "ground"
    assert OrderEvent.objects.filter(order=order, message__contains="oms-post:ground as asked").exists()
