from django.urls import reverse
from django.utils import timezone

from orders.models import HoldReason, Order, OrderHold, OrderStatus

from ..factories import address, place_order
from .conftest import fresh, messages_of

QUEUE = reverse("admin:orders_heldorder_changelist")


def numbers_in_order(response) -> list[str]:
    return [order.number for order in response.context["cl"].result_list]


def test_given_held_and_running_orders_the_queue_lists_only_held_ones_oldest_hold_first(console, stocked):
    stocked("SKU-A", 10)
    newer = place_order([("SKU-A", 1)], payment_status="pending")
    older = place_order([("SKU-A", 1)], payment_status="pending")
    OrderHold.objects.filter(order=older).update(created_at=timezone.now() - timezone.timedelta(days=2))
    place_order([("SKU-A", 1)])  # allocated: not in the queue

    response = console("Customer service").get(QUEUE)

    assert response.status_code == 200
    assert numbers_in_order(response) == [older.number, newer.number]
    assert "2\xa0days" in response.content.decode()


def test_the_queue_filters_by_reason_and_counts_each_reason(console, stocked):
    stocked("SKU-A", 10)
    payment = place_order([("SKU-A", 1)], payment_status="pending")
    bad_address = place_order([("SKU-A", 1)], shipping_address=address(postal_code="not a zip"))
    client = console("Customer service")

    response = client.get(QUEUE, {"hold_reason": HoldReason.ADDRESS})

    assert numbers_in_order(response) == [bad_address.number]
    page = client.get(QUEUE).content.decode()
    assert "Payment not authorised (1)" in page and "Address incomplete or implausible (1)" in page
    assert payment.number in page


def test_releasing_holds_in_bulk_reports_each_success_and_each_refusal(console, stocked, web_channel):
    stocked("SKU-A", 10)
    releasable = place_order([("SKU-A", 1)], payment_status="pending")
    stuck = place_order([("SKU-UNKNOWN", 1)])  # its cause (an unknown SKU) persists
    client = console("Customer service")

    response = client.post(QUEUE, {"action": "release_holds", "_selected_action": [releasable.pk, stuck.pk]})

    assert response.status_code == 302
    assert fresh(releasable).status == OrderStatus.ALLOCATED
    assert fresh(stuck).status == OrderStatus.ON_HOLD
    shown = messages_of(response)
    assert f"Holds released for 1 order(s): {releasable.number}." in shown
    assert any(m.startswith(f"{stuck.number}: Cannot release: SKU-UNKNOWN is still unknown") for m in shown)


def test_cancelling_held_orders_in_bulk(console, stocked):
    stocked("SKU-A", 10)
    first = place_order([("SKU-A", 1)], payment_status="pending")
    second = place_order([("SKU-A", 1)], payment_status="pending")

    response = console("Customer service").post(QUEUE, {"action": "cancel_orders", "_selected_action": [first.pk, second.pk]})

    assert {fresh(first).status, fresh(second).status} == {OrderStatus.CANCELLED}
    assert not OrderHold.objects.filter(released_at=None).exists()
    assert any(m.startswith("Cancelled for 2 order(s)") for m in messages_of(response))


def test_a_warehouse_user_sees_the_queue_but_cannot_release_or_cancel_from_it(console, stocked):
    stocked("SKU-A", 10)
    held = place_order([("SKU-A", 1)], payment_status="pending")
    client = console("Warehouse")

    page = client.get(QUEUE).content.decode()
    client.post(QUEUE, {"action": "cancel_orders", "_selected_action": [held.pk]})
    client.post(QUEUE, {"action": "release_holds", "_selected_action": [held.pk]})

    assert held.number in page
    assert "release_holds" not in page and "cancel_orders" not in page
    assert fresh(held).status == OrderStatus.ON_HOLD


def test_the_queue_is_on_the_admin_index_and_opens_the_order_page(console, stocked):
    stocked("SKU-A", 10)
    held = place_order([("SKU-A", 1)], payment_status="pending")
    client = console("Customer service")

    index = client.get(reverse("admin:index")).content.decode()
    row = client.get(reverse("admin:orders_heldorder_change", args=[held.pk]))

    assert QUEUE in index and "Hold queue" in index
    assert row.status_code == 302 and row["Location"] == reverse("admin:orders_order_change", args=[held.pk])
    assert Order.objects.count() == 1
