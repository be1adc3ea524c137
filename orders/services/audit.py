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


def order_transition(order: Order, name: str, *, actor: Actor, message: str = "") -> OrderEvent:
    """Run the FSM transition ``name`` on a locked order, save it and record the change.

    Refused transitions raise :class:`InvalidTransition` naming the current status.
    """
    method = getattr(order, name)
    if not can_proceed(method):
        raise InvalidTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot be {_verb(name)}.",
            fields={"status": [f"Currently {order.status}."]},
        )
    before = order.status
    method()
    order.updated_at = timezone.now()
    row_update(Order, order.pk, status=order.status, updated_at=order.updated_at)
    if before != order.status:
        event_record(
            "order.status_changed",
            {"order_id": order.pk, "number": order.number, "from": before, "to": order.status},
        )
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
