from django.urls import reverse
from django.utils import timezone

from orders.models import HoldReason, Order, OrderEvent, OrderHold, OrderStatus

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


def bulk(client, action: str, orders, reason: str | None = None):
    """Post a hold-queue bulk action: without ``reason`` the first step (the confirmation page),
    with it the confirmed step."""
    data = {"action": action, "_selected_action": [order.pk for order in orders]}
    if reason is not None:
        data.update(apply="1", reason=reason)
    return client.post(QUEUE, data)


def test_a_bulk_release_first_asks_for_a_reason_and_changes_nothing(console, stocked):
    stocked("SKU-A", 10)
    first = place_order([("SKU-A", 1)], payment_status="pending")
    second = place_order([("SKU-A", 1)], payment_status="pending")
    client = console("Customer service")

    asked = bulk(client, "release_holds", [first, second])

    assert asked.status_code == 200
    page = asked.content.decode()
    assert first.number in page and second.number in page and 'name="reason"' in page
    # A browser posts the pressed button's name too, and Django's list ignores an action that comes with "_save".
    assert 'name="_save"' not in page and 'class="default" name="apply"' in page
    assert {fresh(first).status, fresh(second).status} == {OrderStatus.ON_HOLD}


def test_a_bulk_release_without_a_reason_is_refused_with_a_message_and_changes_nothing(console, stocked):
    stocked("SKU-A", 10)
    held = place_order([("SKU-A", 1)], payment_status="pending")

    response = bulk(console("Customer service"), "release_holds", [held], reason="   ")

    assert response.status_code == 200
    assert "Say why: the reason is recorded on each order" in response.content.decode()
    assert fresh(held).status == OrderStatus.ON_HOLD


def test_releasing_holds_in_bulk_records_the_reason_and_reports_each_success_and_each_refusal(console, stocked, web_channel):
    stocked("SKU-A", 10)
    releasable = place_order([("SKU-A", 1)], payment_status="pending")
    stuck = place_order([("SKU-UNKNOWN", 1)])  # its cause (an unknown SKU) persists
    client = console("Customer service")

    response = bulk(client, "release_holds", [releasable, stuck], reason="Bank confirmed the payments by phone")

    assert response.status_code == 302
    assert fresh(releasable).status == OrderStatus.ALLOCATED
    assert fresh(stuck).status == OrderStatus.ON_HOLD
    shown = messages_of(response)
    assert f"Holds released for 1 order(s): {releasable.number}." in shown
    assert any(m.startswith(f"{stuck.number}: Cannot release: SKU-UNKNOWN is still unknown") for m in shown)
    released = OrderEvent.objects.get(order=releasable, kind=OrderEvent.Kind.HOLD_RELEASED)
    assert "Bank confirmed the payments by phone" in released.message and released.actor == client.user
    assert OrderHold.objects.get(order=releasable).release_note == "Bank confirmed the payments by phone"


def test_cancelling_held_orders_in_bulk_records_the_reason_on_each(console, stocked):
    stocked("SKU-A", 10)
    first = place_order([("SKU-A", 1)], payment_status="pending")
    second = place_order([("SKU-A", 1)], payment_status="pending")

    response = bulk(console("Customer service"), "cancel_orders", [first, second], reason="Customer asked by e-mail")

    assert {fresh(first).status, fresh(second).status} == {OrderStatus.CANCELLED}
    assert not OrderHold.objects.filter(released_at=None).exists()
    assert any(m.startswith("Cancelled for 2 order(s)") for m in messages_of(response))
    for order in (first, second):
        assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS, message="Cancelled: Customer asked by e-mail").exists()


def test_a_warehouse_user_sees_the_queue_but_cannot_release_or_cancel_from_it(console, stocked):
    stocked("SKU-A", 10)
    held = place_order([("SKU-A", 1)], payment_status="pending")
    client = console("Warehouse")

    page = client.get(QUEUE).content.decode()
    bulk(client, "cancel_orders", [held], reason="sneaky")
    bulk(client, "release_holds", [held], reason="sneaky")

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
