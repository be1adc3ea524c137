"""The what-if replay treats a location at its daily capacity as the live engine does: orders are
replayed oldest first, each day counted on its own, starting from what orders outside the replay
took that day."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import Location
from orders.routing.whatif import channel_rules, routing_whatif, rules_with

from ..factories import place_order
from .conftest import reserved_at, stock

pytestmark = pytest.mark.django_db


def capacity(code: str, orders_per_day: int) -> None:
    Location.objects.filter(code=code).update(daily_order_capacity=orders_per_day)


def replay(channel, **weights):
    return routing_whatif(channel=channel, rules=rules_with(channel_rules(channel), weights=weights))


def whatif(*args) -> str:
    out = StringIO()
    call_command("routing_whatif", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def three_orders_from_new_york(sites, web_channel):
    """Three orders to Boston, all shipped from New York (the nearest) before New York had a capacity."""
    stock("SKU-A", ny=10, chicago=10)
    orders = [place_order([("SKU-A", 1)]) for _ in range(3)]
    assert [reserved_at(order) for order in orders] == [{("SKU-A", "ny"): 1}] * 3
    return orders


def test_when_the_replay_fills_a_location_the_next_order_that_day_goes_elsewhere(three_orders_from_new_york, web_channel):
    first, second, third = three_orders_from_new_york
    capacity("ny", 2)

    report = replay(web_channel)

    assert [(order.number, order.after) for order in report.replayed] == [
        (first.number, ["ny"]), (second.number, ["ny"]), (third.number, ["chicago"]),
    ]
    assert [order.number for order in report.changed] == [third.number]
    assert report.full_days == {"ny": [timezone.localdate()]}
    assert report.sent_to_full == 0


def test_without_a_capacity_the_same_replay_changes_nothing(three_orders_from_new_york, web_channel):
    report = replay(web_channel)

    assert [order.after for order in report.replayed] == [["ny"]] * 3
    assert report.changed == [] and report.full_days == {}


def test_a_what_if_that_ignores_capacity_keeps_every_order_where_it_was(three_orders_from_new_york, web_channel):
    capacity("ny", 2)

    report = replay(web_channel, capacity=0)

    assert report.changed == []
    assert report.sent_to_full == 1  # the third order still goes to a full New York


def test_each_day_starts_with_the_capacity_free_again(sites, web_channel):
    stock("SKU-A", ny=10, chicago=10)
    yesterday = timezone.now() - timedelta(days=1)
    place_order([("SKU-A", 1)], placed_at=yesterday - timedelta(minutes=5))
    place_order([("SKU-A", 1)], placed_at=yesterday)
    today = place_order([("SKU-A", 1)])
    capacity("ny", 2)

    report = replay(web_channel)

    assert report.changed == []
    assert [order.after for order in report.replayed] == [["ny"]] * 3
    assert report.full_days == {"ny": [timezone.localdate(yesterday)]}
    assert today.number in {order.number for order in report.replayed}


def test_orders_of_other_channels_that_day_take_their_share_of_the_capacity(sites, web_channel, marketplace):
    stock("SKU-A", ny=10, chicago=10)
    place_order([("SKU-A", 1)], channel="market")
    place_order([("SKU-A", 1)], channel="market")
    web = place_order([("SKU-A", 1)])
    capacity("ny", 2)

    report = replay(web_channel)

    assert [(order.number, order.before, order.after) for order in report.replayed] == [(web.number, ["ny"], ["chicago"])]


def test_orders_of_other_channels_on_another_day_take_nothing_from_today(sites, web_channel, marketplace):
    stock("SKU-A", ny=10, chicago=10)
    last_week = timezone.now() - timedelta(days=7)
    place_order([("SKU-A", 1)], channel="market", placed_at=last_week)
    place_order([("SKU-A", 1)], channel="market", placed_at=last_week)
    place_order([("SKU-A", 1)])
    capacity("ny", 2)

    report = replay(web_channel)

    assert report.changed == [] and report.full_days == {}


def test_orders_left_out_by_the_limit_still_count_against_their_day(three_orders_from_new_york):
    capacity("ny", 2)

    output = whatif("--channel", "web", "--limit", "1")

    newest = three_orders_from_new_york[-1]
    assert "Channel web: 1 order(s) replayed" in output
    assert f"At daily capacity: ny on {timezone.localdate()}" in output
    assert "Orders that would change: 1" in output
    assert f"{newest.number:<14}{'ny':<28}{'chicago':<28}" in output


def test_the_command_says_when_a_full_location_was_the_only_choice(sites, web_channel):
    stock("SKU-A", ny=10)
    for _ in range(3):
        place_order([("SKU-A", 1)])
    capacity("ny", 1)

    output = whatif("--channel", "web")

    assert "At daily capacity: ny on" in output
    assert "2 order(s) still sent to a location at capacity (no better choice)" in output
    assert "Orders that would change: 0" in output


def test_a_what_if_keeps_the_channel_within_its_stock_rule(three_orders_from_new_york, web_channel, sites):
    from inventory.models import ChannelStockRule
    from inventory.selectors import channel_pool_forget

    rule = ChannelStockRule.objects.create(channel_code="web")
    rule.locations.set([sites["chicago"]])
    channel_pool_forget()

    report = replay(web_channel)

    # New York is nearest, but the channel now sells only Chicago's stock.
    assert [order.after for order in report.replayed] == [["chicago"]] * 3
