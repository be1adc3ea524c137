"""Batch intake: many orders per transaction, each still judged and recorded on its own."""

from decimal import Decimal

import pytest

from oms.errors import InvalidInput
from orders.models import Order, OrderLine, OrderStatus
from orders.services import orders_intake_batch
from orders.services.intake import LineData

from ..factories import intake_data

pytestmark = pytest.mark.django_db


def test_given_a_refused_order_inside_a_chunk_when_the_batch_runs_then_only_that_order_is_missing(stocked, settings):
    settings.OMS_BULK_CHUNK_SIZE = 3
    stocked("SKU-L", 100)
    batch = [intake_data([("SKU-L", 1)], external_id=f"B-{i}") for i in range(7)]
    # Discounts worth more than the order: refused by intake after the customer and stock were touched.
    batch[4].lines = [LineData(sku="SKU-L", quantity=1, unit_price=Decimal("5.00"), discount=Decimal("50.00"))]

    items = orders_intake_batch(orders=batch, actor="api:bulk")

    assert [item.index for item in items] == list(range(7))
    assert [item.error is None for item in items] == [True, True, True, True, False, True, True]
    assert items[4].error.code == "invalid"
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["B-0", "B-1", "B-2", "B-3", "B-5", "B-6"]
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.ALLOCATED}
    assert OrderLine.objects.count() == 6  # nothing left of the refused order


def test_given_refusals_made_by_the_caller_and_a_repeat_when_the_batch_runs_then_each_keeps_its_place(stocked):
    stocked("SKU-L", 100)
    first = intake_data([("SKU-L", 2)], external_id="DUP-1")
    again = intake_data([("SKU-L", 2)], external_id="DUP-1")
    unparsed = InvalidInput("The order is malformed; nothing was recorded.", fields={"lines": ["Required."]})

    items = orders_intake_batch(orders=[first, unparsed, again], actor="api:bulk")

    assert items[0].result.created is True
    assert items[1].error is unparsed
    assert items[2].result.created is False and items[2].result.order.pk == items[0].result.order.pk
    assert Order.objects.count() == 1


def test_given_a_new_buyer_when_recorded_in_a_batch_then_the_customer_keeps_the_name_sent(stocked):
    stocked("SKU-L", 10)

    items = orders_intake_batch(orders=[intake_data([("SKU-L", 1)], email="grace@example.com", first_name="Grace", last_name="Hopper")], actor="api:bulk")

    customer = items[0].result.order.customer
    assert (customer.email, customer.first_name, customer.last_name) == ("grace@example.com", "Grace", "Hopper")
