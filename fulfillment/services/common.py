"""Locks, numbering and the audit note every fulfillment service shares."""

from django.db.models import Max
from django.utils import timezone

from oms.actors import Actor
from oms.errors import NotFound
from orders.models import Order, OrderEvent
from orders.services.audit import order_event, order_lock, order_touch

from ..models import FulfillmentLine, FulfillmentOrder


def fulfillment_order_lock(fulfillment_order_id: int) -> tuple[Order, FulfillmentOrder]:
    """Lock the fulfillment order's order, then the fulfillment order itself (FOR NO KEY UPDATE).

    Every fulfillment service takes the order first: it serialises the order's event stream and
    its reservations, and keeps one lock order (order, fulfillment orders by id, stock rows).
    """
    order_id = FulfillmentOrder.objects.filter(pk=fulfillment_order_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"No fulfillment order #{fulfillment_order_id}.")
    order = order_lock(order_id)
    return order, FulfillmentOrder.objects.select_for_update(no_key=True).get(pk=fulfillment_order_id)


def fulfillment_orders_lock(order: Order, ids: list[int] | None = None) -> list[FulfillmentOrder]:
    """The (locked) order's fulfillment orders, or those of ``ids``, locked in primary-key order."""
    rows = FulfillmentOrder.objects.select_for_update(no_key=True).filter(order=order).order_by("pk")
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return list(rows)


def fulfillment_order_new(order: Order, *, location_id: int, lines: list[tuple[int, int, int]]) -> FulfillmentOrder:
    """A pending fulfillment order of a locked order, numbered next, with ``(order line id,
    product id, quantity)`` lines."""
    last = FulfillmentOrder.objects.filter(order=order).aggregate(last=Max("sequence"))["last"] or 0
    fulfillment_order = FulfillmentOrder.objects.create(
        order=order,
        location_id=location_id,
        sequence=last + 1,
        number=f"{order.number}-{last + 1}",
        promised_ship_date=order.promised_ship_date,
        promised_delivery_date=order.promised_delivery_date,
    )
    FulfillmentLine.objects.bulk_create(
        FulfillmentLine(fulfillment_order=fulfillment_order, order_line_id=line_id, product_id=product_id, quantity=quantity)
        for line_id, product_id, quantity in lines
    )
    return fulfillment_order


def fulfillment_order_touch(fulfillment_order: FulfillmentOrder, *fields: str) -> None:
    """Save ``fields`` of a locked fulfillment order and count one more version."""
    fulfillment_order.version += 1
    fulfillment_order.updated_at = timezone.now()
    fulfillment_order.save(update_fields=[*fields, "version", "updated_at"])


def fulfillment_note(order: Order, message: str, *, actor: Actor, **data) -> None:
    """One entry in the order's audit trail about its fulfillment (the order counts a new version)."""
    order_touch(order)
    order_event(order, OrderEvent.Kind.NOTE, message, actor=actor, data={"fulfillment": data}).save()
