"""The order audit trail and status changes: one writer for each, used by every order service."""

from django_fsm import can_proceed

from oms.actors import Actor, actor_fields
from oms.errors import InvalidTransition
from oms.events import event_record

from ..models import Order, OrderEvent, OrderStatus


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
    order.save(update_fields=["status", "updated_at"])
    if before != order.status:
        event_record(
            "order.status_changed",
            {"order_id": order.pk, "number": order.number, "from": before, "to": order.status},
        )
    event = order_event(
        order, OrderEvent.Kind.STATUS, message or f"{OrderStatus(before).label} → {OrderStatus(order.status).label}",
        actor=actor, from_status=before, to_status=order.status,
    )
    event.save()
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
