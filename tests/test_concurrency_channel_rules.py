"""A channel's stock rule holds under concurrent orders on PostgreSQL: no two orders take the
same allowed units (the allowance is computed from the stock rows each order has locked)."""

import pytest

from inventory.models import ChannelStockRule
from inventory.selectors import channel_pool_forget
from inventory.services import stock_receive
from orders.models import OrderLine
from orders.services import order_intake

from .factories import ChannelFactory, LocationFactory, ProductFactory, intake_data
from .test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_given_a_half_share_when_eight_orders_of_five_race_then_each_takes_only_what_was_left_for_the_channel():
    ChannelFactory(code="web")
    LocationFactory(code="chicago")
    ProductFactory(sku="SKU-A")
    stock_receive(sku="SKU-A", location="chicago", quantity=10, actor="test")
    ChannelStockRule.objects.create(channel_code="web", share_percent=50)
    channel_pool_forget()

    run_in_threads([[lambda: order_intake(data=intake_data([("SKU-A", 5)]), actor="test")] for _ in range(8)])

    # One after the other, whoever comes first: half of 10, half of 5, half of 3, half of 2, then nothing.
    taken = sorted(OrderLine.objects.values_list("quantity_reserved", flat=True), reverse=True)
    assert taken == [5, 2, 1, 1, 0, 0, 0, 0]
