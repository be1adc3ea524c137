"""The order audit trail and status changes: one writer for each, used by every order service."""

from django.utils import timezone
from django_fsm import can_proceed

from oms.actors import Actor, actor_fields
from oms.db import row_update, rows_insert, rows_select
from oms.errors import InvalidTransition, NotFound
from oms.events import event_record

from ..models import Order, OrderEvent, OrderStatus


def order_lock(order_id: int) -> Order:
    """The order row, locked FOR NO KEY UPDATE for the rest of the transaction (only that row:
    inserts referring to it, and to its channel, are not blocked)."""
    found = rows_select(Order, "id", [order_id], lock=True)
    if not found:
        raise NotFound(f"No order with id {order_id}.")
    return found[0]


def order_event(order: Order, kind: str, message: str = "", *, actor: Actor, data: dict | None = None, **fields) -> OrderEvent:
    """An unsaved audit row; callers save it alone or bulk-create several."""
    return OrderEvent(order=order, kind=kind, message=message[:500], data=data or {}, **fields, **actor_fields(actor))


def order_touch(order: Order, **values) -> None:
    """Save ``values`` on a locked order and count one more version (its ETag): every service
    that changes an order calls this once, or :func:`order_transition` which calls it."""
    order.version += 1
    order.updated_at = timezone.now()
    for name, value in values.items():
        if getattr(order, name) != value:  # the FSM field is set by its transition already
            setattr(order, name, value)
    row_update(Order, order.pk, version=order.version, updated_at=order.updated_at, **values)


# The event a status change announces (webhooks, the events feed), by the status it reaches.
STATUS_EVENTS = {
    OrderStatus.ON_HOLD: "order.held",
    OrderStatus.PENDING: "order.released",
    OrderStatus.BACKORDERED: "order.backordered",
    OrderStatus.ALLOCATED: "order.allocated",
    OrderStatus.IN_FULFILLMENT: "order.fulfillment_started",
    OrderStatus.PARTIALLY_SHIPPED: "order.partially_shipped",
    OrderStatus.SHIPPED: "order.shipped",
    OrderStatus.DELIVERED: "order.delivered",
    OrderStatus.COMPLETED: "order.completed",
    OrderStatus.CANCELLED: "order.cancelled",
}


def order_stream(order_id: int) -> str:
    """The events-feed stream of one order; its events are numbered 1, 2, 3... within it."""
    return f"order:{order_id}"


def order_payload(order: Order, **extra) -> dict:
    """What every order event carries; receivers fetch the full order from the API by number."""
    return {"order_id": order.pk, "number": order.number, "external_id": order.external_id, "status": order.status, "version": order.version, **extra}


def order_event_publish(order: Order, name: str, **extra) -> None:
    """Record a public order event (after the order's row is written, in the same transaction)."""
    event_record(name, order_payload(order, **extra), stream=order_stream(order.pk))


def order_transition(
    order: Order, name: str, *, actor: Actor, message: str = "", event_data: dict | None = None, values: dict | None = None
) -> OrderEvent:
    """Run the FSM transition ``name`` on a locked order, save it and record the change.

    Refused transitions raise :class:`InvalidTransition` naming the current status. The change is
    announced as the status's public event (``order.allocated``, ``order.cancelled``...), with
    ``event_data`` added to its payload. ``values`` are other fields saved in the same UPDATE.
    """
    method = getattr(order, name)
    if not can_proceed(method):
        raise InvalidTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot be {_verb(name)}.",
            fields={"status": [f"Currently {order.status}."]},
        )
    before = order.status
    method()
    order_touch(order, status=order.status, **(values or {}))
    if before != order.status:
        order_event_publish(order, STATUS_EVENTS[order.status], previous_status=before, **(event_data or {}))
    event = order_event(
        order, OrderEvent.Kind.STATUS, message or f"{OrderStatus(before).label} → {OrderStatus(order.status).label}",
        actor=actor, from_status=before, to_status=order.status,
    )
    rows_insert([event])
    return event


_VERBS = {
    "hold": "put on hold",
    "release": "released",
    "backorder": "backordered",
    "allocate": "allocated",
    "start_fulfillment": "sent to fulfillment",
    "ship_partially": "marked partially shipped",
    "ship": "marked shipped",
    "deliver": "marked delivered",
    "complete": "completed",
    "cancel": "cancelled",
}


def _verb(name: str) -> str:
    return _VERBS.get(name, name.replace("_", " "))
