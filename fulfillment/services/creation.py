"""Fulfillment orders are cut from an order's reservations: when it enters fulfillment, and
whenever it gets new reservations later (units re-routed after a short pick, or served when
stock arrived)."""

from collections import defaultdict

from django.db import transaction

from oms.actors import Actor
from orders.models import Allocation, Order, OrderStatus
from orders.services.audit import order_lock

from ..events import FULFILLMENT_CREATED, fulfillment_event_publish
from ..models import OPEN_STATUSES, FulfillmentLine, FulfillmentOrder, FulfillmentStatus
from .common import fulfillment_note, fulfillment_order_new, fulfillment_order_touch

# Orders whose reservations may still be turned into fulfillment orders.
CREATABLE = (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)


def fulfillment_orders_create(*, order_id: int, actor: Actor) -> list[FulfillmentOrder]:
    """Put every reserved unit of an order in fulfillment on an open fulfillment order; returns
    the fulfillment orders created.

    Units reserved at a location but on no open fulfillment order there go to a pending, unheld
    fulfillment order of the order at that location when there is one, else to a new one (one
    per location). Entering fulfillment, that is one fulfillment order per location holding the
    order's stock. Idempotent: when everything reserved is covered already, or the order is not
    in fulfillment, nothing changes and the empty list is returned. Runs with the order locked,
    so two callers (an event subscriber and an operator) never both cut the same units.
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status not in CREATABLE:
            return []
        uncovered = _uncovered_by_location(order)
        if not uncovered:
            return []
        created, grown = [], []
        for location_id, lines in sorted(uncovered.items()):
            pending = (
                FulfillmentOrder.objects.select_for_update(no_key=True)
                .filter(order=order, location_id=location_id, status=FulfillmentStatus.PENDING, is_held=False)
                .order_by("pk").first()
            )
            if pending is None:
                created.append(fulfillment_order_new(order, location_id=location_id, lines=lines))
            else:
                _lines_add(pending, lines)
                grown.append(pending)
        if created:
            fulfillment_note(
                order, f"Fulfillment orders created: {', '.join(fo.number for fo in created)}", actor=actor,
                created=[{"number": fo.number, "location_id": fo.location_id} for fo in created],
            )
        if grown:
            fulfillment_note(
                order, f"Newly reserved units added to {', '.join(fo.number for fo in grown)}", actor=actor,
                grown=[{"number": fo.number, "location_id": fo.location_id} for fo in grown],
            )
        for fulfillment_order in created:
            fulfillment_event_publish(fulfillment_order, FULFILLMENT_CREATED)
    return created


def _uncovered_by_location(order: Order) -> dict[int, list[tuple[int, int, int]]]:
    """``{location id: [(order line id, product id, units)]}`` reserved but on no open fulfillment order."""
    covered: dict[tuple[int, int], int] = defaultdict(int)
    on_open = FulfillmentLine.objects.filter(fulfillment_order__order=order, fulfillment_order__status__in=OPEN_STATUSES)
    for line_id, location_id, quantity in on_open.values_list("order_line_id", "fulfillment_order__location_id", "quantity"):
        covered[(line_id, location_id)] += quantity
    uncovered = defaultdict(list)
    allocations = Allocation.objects.filter(line__order=order).select_related("line").order_by("location_id", "line__line_number")
    for allocation in allocations:
        units = allocation.quantity - covered[(allocation.line_id, allocation.location_id)]
        if units > 0:
            uncovered[allocation.location_id].append((allocation.line_id, allocation.line.product_id, units))
    return uncovered


def _lines_add(fulfillment_order: FulfillmentOrder, lines: list[tuple[int, int, int]]) -> None:
    """Add ``(order line id, product id, units)`` to a locked pending fulfillment order."""
    existing = {line.order_line_id: line for line in fulfillment_order.lines.all()}
    for line_id, product_id, units in lines:
        if line_id in existing:
            existing[line_id].quantity += units
        else:
            existing[line_id] = FulfillmentLine(fulfillment_order=fulfillment_order, order_line_id=line_id, product_id=product_id, quantity=units)
    FulfillmentLine.objects.bulk_update([line for line in existing.values() if line.pk], ["quantity"])
    FulfillmentLine.objects.bulk_create([line for line in existing.values() if not line.pk])
    fulfillment_order_touch(fulfillment_order)


def on_order_fulfillment_started(event) -> None:
    """Subscriber of ``order.fulfillment_started``: safe to run twice (creation is idempotent)."""
    fulfillment_orders_create(order_id=event.payload["order_id"], actor="job:fulfillment")


def on_order_reallocated(event) -> None:
    """Subscriber of ``order.reallocated`` (units reserved for an order in fulfillment): the new
    reservations get their fulfillment orders; safe to run twice."""
    fulfillment_orders_create(order_id=event.payload["order_id"], actor="job:fulfillment")
