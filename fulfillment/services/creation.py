"""Fulfillment orders are cut from an order's reservations when it enters fulfillment."""

from collections import defaultdict

from django.db import transaction

from oms.actors import Actor
from orders.models import Allocation, OrderStatus
from orders.services.audit import order_lock

from ..events import FULFILLMENT_CREATED, fulfillment_event_publish
from ..models import FulfillmentOrder
from .common import fulfillment_note, fulfillment_order_new

# Orders whose reservations may still be turned into fulfillment orders.
CREATABLE = (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)


def fulfillment_orders_create(*, order_id: int, actor: Actor) -> list[FulfillmentOrder]:
    """One pending fulfillment order per location holding the order's reservations.

    Idempotent: an order that has fulfillment orders already, or that is not in fulfillment,
    gets nothing new and the empty list is returned. Runs with the order locked, so two callers
    (the event subscriber and an operator) never both create them.
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status not in CREATABLE or FulfillmentOrder.objects.filter(order=order).exists():
            return []
        by_location = defaultdict(list)
        allocations = Allocation.objects.filter(line__order=order).select_related("line").order_by("location_id", "line__line_number")
        for allocation in allocations:
            by_location[allocation.location_id].append((allocation.line_id, allocation.line.product_id, allocation.quantity))
        created = [fulfillment_order_new(order, location_id=location_id, lines=lines) for location_id, lines in sorted(by_location.items())]
        if created:
            fulfillment_note(
                order, f"Fulfillment orders created: {', '.join(fo.number for fo in created)}", actor=actor,
                created=[{"number": fo.number, "location_id": fo.location_id} for fo in created],
            )
        for fulfillment_order in created:
            fulfillment_event_publish(fulfillment_order, FULFILLMENT_CREATED)
    return created


def on_order_fulfillment_started(event) -> None:
    """Subscriber of ``order.fulfillment_started``: safe to run twice (creation is idempotent)."""
    fulfillment_orders_create(order_id=event.payload["order_id"], actor="job:fulfillment")
