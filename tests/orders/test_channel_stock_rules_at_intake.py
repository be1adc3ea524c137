"""Intake applies the channel stock rule it publishes: the locations a channel may sell from,
and the share and buffer of what is free there (``inventory.ChannelStockRule``)."""

import json
import random

import pytest

from inventory.models import ChannelStockRule
from inventory.selectors import channel_pool_forget, products_by_sku, stock_for_sku
from inventory.services import stock_receive
from orders.models import Allocation, OrderStatus
from orders.services import orders_intake_batch
from orders.services.allocation import backorders_sweep

from ..factories import ChannelFactory, LocationFactory, intake_data, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def boston(db):
    """Next door to the customers (their address is in Boston)."""
    return LocationFactory(code="boston", name="Boston DC", city="Boston", latitude=42.36, longitude=-71.06)


def _rule(channel="web", locations=(), **fields) -> ChannelStockRule:
    """A rule saved as the admin saves it: this process's copy of the rules is dropped."""
    rule = ChannelStockRule.objects.create(channel_code=channel, **fields)
    rule.locations.set(locations)
    channel_pool_forget()
    return rule


def _reserved_at(order) -> dict[str, int]:
    held = {}
    for allocation in Allocation.objects.filter(line__order=order).select_related("location"):
        held[allocation.location.code] = held.get(allocation.location.code, 0) + allocation.quantity
    return held


def test_given_a_rule_allowing_only_a_far_location_when_an_order_comes_then_it_reserves_there_not_at_the_nearer_one(stocked, warehouse, boston):
    stocked("SKU-A", 5)  # chicago
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    _rule(locations=[warehouse])

    order = place_order([("SKU-A", 2)])

    assert order.status == OrderStatus.ALLOCATED
    assert _reserved_at(order) == {"chicago": 2}


def test_given_a_rule_allowing_only_a_location_without_stock_when_stock_arrives_elsewhere_then_the_order_keeps_waiting(stocked, warehouse, boston):
    stocked("SKU-A", 0)
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    _rule(locations=[warehouse])
    order = place_order([("SKU-A", 2)])
    assert order.status == OrderStatus.BACKORDERED

    backorders_sweep()
    order.refresh_from_db()
    assert order.status == OrderStatus.BACKORDERED and _reserved_at(order) == {}

    stock_receive(sku="SKU-A", location="chicago", quantity=2, actor="test")
    backorders_sweep()
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED and _reserved_at(order) == {"chicago": 2}


def test_given_a_half_share_of_ten_units_when_six_are_ordered_then_five_are_reserved_and_the_sixth_waits(stocked):
    stocked("SKU-A", 10)
    _rule(share_percent=50)

    order = place_order([("SKU-A", 6)])

    line = order.lines.get()
    assert (order.status, line.quantity_reserved) == (OrderStatus.BACKORDERED, 5)
    assert "stock rule" in json.dumps(order.routing)  # the order's routing says why the sixth waits


def test_given_a_buffer_when_an_order_asks_for_everything_then_the_buffer_stays_free(stocked):
    stocked("SKU-A", 10)
    _rule(buffer_units=3)

    order = place_order([("SKU-A", 10)])

    assert order.lines.get().quantity_reserved == 7
    assert stock_for_sku(products_by_sku(["SKU-A"])["SKU-A"]).available_to_promise == 3


def test_given_two_lines_of_one_sku_when_the_share_is_small_then_they_share_the_allowance(stocked):
    stocked("SKU-A", 10)
    _rule(share_percent=30)

    order = place_order([("SKU-A", 2), ("SKU-A", 2)])

    assert sorted(line.quantity_reserved for line in order.lines.all()) == [1, 2]


def test_given_another_channel_without_a_rule_when_it_orders_then_it_takes_everything(stocked):
    stocked("SKU-A", 10)
    _rule(channel="amazon", share_percent=50)

    order = place_order([("SKU-A", 10)])

    assert order.status == OrderStatus.ALLOCATED


def test_given_a_rule_naming_a_store_that_does_not_ship_when_the_till_orders_then_it_reserves_the_store_stock(stocked):
    store = LocationFactory(code="nyc-store", name="NYC store", can_ship=False, can_pick_up=True)
    stocked("SKU-A", 10)  # chicago, not the till's
    stock_receive(sku="SKU-A", location="nyc-store", quantity=4, actor="test")
    _rule(channel="pos", locations=[store])
    ChannelFactory(code="pos", name="Store till")
    published = stock_for_sku(products_by_sku(["SKU-A"])["SKU-A"], channel="pos").available_to_promise

    order = place_order([("SKU-A", 6)], channel="pos")

    assert published == 4
    assert _reserved_at(order) == {"nyc-store": 4}


@pytest.mark.parametrize("seed", range(6))
def test_the_published_figure_is_what_the_next_order_of_the_channel_can_reserve(stocked, warehouse, boston, seed):
    rng = random.Random(seed)
    stocked("SKU-A", rng.randint(0, 20))
    stock_receive(sku="SKU-A", location="boston", quantity=rng.randint(1, 20), actor="test")
    place_order([("SKU-A", rng.randint(0, 3) or 1)], channel="phone")  # another channel holds some
    locations = rng.choice([[], [warehouse], [boston], [warehouse, boston]])
    _rule(locations=locations, share_percent=rng.choice([None, 25, 50, 90]), buffer_units=rng.randint(0, 4))
    product = products_by_sku(["SKU-A"])["SKU-A"]

    for _ in range(3):  # each order takes what the channel showed just before it
        published = stock_for_sku(product, channel="web").available_to_promise
        order = place_order([("SKU-A", published + rng.randint(0, 5) or 1)])
        assert order.lines.get().quantity_reserved == published, f"seed {seed}"
        assert set(_reserved_at(order)) <= {location.code for location in locations or [warehouse, boston]}


def test_given_a_half_share_when_a_batch_of_orders_comes_then_each_takes_at_most_what_the_channel_showed(stocked, warehouse, boston):
    stocked("SKU-A", 10)
    stock_receive(sku="SKU-A", location="boston", quantity=10, actor="test")
    _rule(locations=[warehouse], share_percent=50)

    items = orders_intake_batch(orders=[intake_data([("SKU-A", 3)]) for _ in range(3)], actor="test")

    orders = [item.result.order for item in items]
    # chicago's 10: half is 5, take 3; half of 7 is 3; half of 4 is 2 (boston is not the channel's)
    assert [order.lines.get().quantity_reserved for order in orders] == [3, 3, 2]
    assert all(set(_reserved_at(order)) == {"chicago"} for order in orders)
    assert [order.status for order in orders] == [OrderStatus.ALLOCATED, OrderStatus.ALLOCATED, OrderStatus.BACKORDERED]


def test_given_a_rule_when_a_reservation_is_moved_to_a_location_it_does_not_name_then_it_is_refused_and_nothing_moves(stocked, warehouse, boston):
    from oms.errors import InvalidInput
    from orders.services import order_reservation_move

    stocked("SKU-A", 5)
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    _rule(locations=[warehouse])
    order = place_order([("SKU-A", 2)])
    line = order.lines.get()

    with pytest.raises(InvalidInput, match="does not sell for channel web"):
        order_reservation_move(order_id=order.pk, line_id=line.pk, from_location_id=warehouse.pk, to_location_id=boston.pk, quantity=2, actor="test")

    assert _reserved_at(order) == {"chicago": 2}


def test_given_the_rules_were_read_when_another_process_changes_them_then_the_next_order_meets_the_change(stocked, warehouse, boston, settings):
    # given this process read the rules (none) long before their cache time ends
    settings.OMS_CHANNEL_RULES_MAX_AGE = 3600
    stocked("SKU-A", 5)  # chicago
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    assert _reserved_at(place_order([("SKU-A", 1)])) == {"boston": 1}

    # when another process (nothing forgotten here) limits the channel to Chicago, then to Boston
    rule = ChannelStockRule.objects.create(channel_code="web")
    rule.locations.set([warehouse])
    to_chicago = place_order([("SKU-A", 1)])
    rule.locations.set([boston])
    to_boston = place_order([("SKU-A", 1)])

    # then each next order is routed within the rule as it then stood
    assert _reserved_at(to_chicago) == {"chicago": 1}
    assert _reserved_at(to_boston) == {"boston": 1}


def test_given_the_rules_were_read_when_their_cache_time_passes_then_intake_reads_them_again_only_if_they_changed(stocked, warehouse, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stocked("SKU-A", 5)
    _rule(locations=[warehouse], share_percent=90)
    place_order([("SKU-A", 1)])
    settings.OMS_CHANNEL_RULES_MAX_AGE = 0

    with CaptureQueriesContext(connection) as queries:
        place_order([("SKU-A", 1)])

    assert not [q["sql"] for q in queries.captured_queries if "channelstockrule" in q["sql"] and "orders_channel" not in q["sql"]]
