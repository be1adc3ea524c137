"""The end of an order's life: delivered orders are completed when their last return window closes."""

import datetime

import pytest
from django.utils import timezone

from oms.models import DomainEvent
from orders.models import Order, OrderEvent, OrderStatus
from returns.models import ReturnPolicy
from returns.services import orders_complete_after_returns, return_cancel, return_request
from returns.tasks import orders_complete_after_returns as complete_task

from .conftest import line

pytestmark = pytest.mark.django_db


def days_later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def status_of(order: Order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_given_a_delivered_order_within_its_return_window_then_it_stays_delivered(shipped_order):
    order = shipped_order([("SKU-A", 1)])

    assert orders_complete_after_returns(now=days_later(29)) == 0

    assert status_of(order) == OrderStatus.DELIVERED


def test_given_the_window_closed_with_no_return_then_the_order_is_completed_with_the_change_in_its_trail(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    shipped_only = shipped_order([("SKU-B", 1)], delivered=False)

    assert orders_complete_after_returns(now=days_later(31)) == 1

    assert status_of(order) == OrderStatus.COMPLETED and status_of(shipped_only) == OrderStatus.SHIPPED
    change = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.STATUS, to_status=OrderStatus.COMPLETED)
    assert change.from_status == OrderStatus.DELIVERED and change.actor_label == "job:orders-complete"
    assert "30-day return window after delivery closed" in change.message
    assert DomainEvent.objects.filter(name="order.completed", payload__order_id=order.pk).count() == 1


def test_given_an_open_return_the_order_waits_until_it_is_no_longer_open(shipped_order):
    order = shipped_order([("SKU-A", 2)])
    rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")

    assert orders_complete_after_returns(now=days_later(31)) == 0
    assert status_of(order) == OrderStatus.DELIVERED

    return_cancel(return_id=rma.pk, actor="cs")
    assert orders_complete_after_returns(now=days_later(31)) == 1
    assert status_of(order) == OrderStatus.COMPLETED


def test_a_completed_order_is_left_untouched_by_the_next_runs(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    assert complete_task.apply(kwargs={}).get() == 0  # the beat task: today, nothing is due
    orders_complete_after_returns(now=days_later(31))
    trail = OrderEvent.objects.filter(order=order).count()

    assert orders_complete_after_returns(now=days_later(40)) == 0

    assert status_of(order) == OrderStatus.COMPLETED and OrderEvent.objects.filter(order=order).count() == trail


def test_a_channel_with_a_longer_window_keeps_its_orders_open_longer(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    ReturnPolicy.objects.create(name="Web: 60 days", channel=order.channel, window_days=60)

    assert orders_complete_after_returns(now=days_later(31)) == 0
    assert status_of(order) == OrderStatus.DELIVERED
    assert orders_complete_after_returns(now=days_later(61)) == 1
    assert status_of(order) == OrderStatus.COMPLETED


def test_a_run_completes_at_most_its_batch_and_the_next_run_the_rest(shipped_order):
    orders = [shipped_order([(f"SKU-{n}", 1)]) for n in range(3)]

    assert orders_complete_after_returns(now=days_later(31), limit=2) == 2
    assert orders_complete_after_returns(now=days_later(31), limit=2) == 1

    assert {status_of(order) for order in orders} == {OrderStatus.COMPLETED}
