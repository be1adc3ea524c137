"""A fulfillment order's lifecycle: picking, packing, shipping, delivery, cancellation and holds.

Shipping and delivery drive the order: a shipped fulfillment order ships its units on the order
(which becomes partially shipped or shipped); when all of an order's fulfillment orders are
delivered, so is the order.
"""

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from orders.models import Order, OrderStatus
from orders.services import order_cancel, order_deliver, order_ship
from orders.services.audit import order_lock

from ..events import FULFILLMENT_CANCELLED, FULFILLMENT_CREATED, FULFILLMENT_DELIVERED, FULFILLMENT_SHIPPED, fulfillment_event_publish
from ..models import FulfillmentHold, FulfillmentHoldReason, FulfillmentLine, FulfillmentOrder, FulfillmentStatus
from .common import fulfillment_note, fulfillment_order_lock, fulfillment_order_new, fulfillment_order_touch, fulfillment_orders_lock

_VERBS = {"start_picking": "start picking", "pack": "be packed", "ship": "ship", "deliver": "be delivered", "cancel": "be cancelled"}


def _transition(fulfillment_order: FulfillmentOrder, name: str) -> str:
    """Run a transition on a locked fulfillment order (not saved yet); returns the status it left."""
    method = getattr(fulfillment_order, name)
    if not can_proceed(method, check_conditions=False):
        raise InvalidTransition(
            f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; it cannot {_VERBS[name]}.",
            fields={"status": [f"Currently {fulfillment_order.status}."]},
        )
    if not can_proceed(method):
        raise DomainError(
            f"Fulfillment order {fulfillment_order.number} is on hold ({_open_hold_names(fulfillment_order)}); release its holds first.",
            code="fulfillment_held",
        )
    before = fulfillment_order.status
    method()
    return before


def _open_hold_names(fulfillment_order: FulfillmentOrder) -> str:
    holds = fulfillment_order.holds.filter(released_at__isnull=True)
    return ", ".join(hold.get_reason_display().lower() for hold in holds) or "held"


def fulfillment_order_picking_start(*, fulfillment_order_id: int, actor: Actor) -> FulfillmentOrder:
    """A pending, unheld fulfillment order goes to picking (refused with ``fulfillment_held`` while held)."""
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if order.status not in (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED):
            raise InvalidTransition(f"Order {order.number} is {order.get_status_display().lower()}; its fulfillment orders cannot be picked.")
        _transition(fulfillment_order, "start_picking")
        fulfillment_order_touch(fulfillment_order, "status")
    return fulfillment_order


def fulfillment_order_pack(*, fulfillment_order_id: int, actor: Actor, quantities: dict[int, int] | None = None) -> FulfillmentOrder:
    """A fulfillment order in picking is packed: ``quantities`` maps its line ids to the units
    packed (default: every unit). Units packed count as picked; a line may be packed short, and
    shipping then leaves the rest in a new fulfillment order."""
    with transaction.atomic():
        _, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _transition(fulfillment_order, "pack")
        lines = list(fulfillment_order.lines.order_by("pk"))
        unknown = set(quantities or {}) - {line.pk for line in lines}
        if unknown:
            raise InvalidInput(f"Lines {sorted(unknown)} are not on {fulfillment_order.number}.", fields={"quantities": ["Unknown line."]})
        for line in lines:
            packed = line.quantity if quantities is None else quantities.get(line.pk, 0)
            if not 0 <= packed <= line.quantity:
                raise InvalidInput(f"Line {line.pk}: between 0 and {line.quantity} units can be packed.", fields={"quantities": ["Out of range."]})
            line.quantity_packed = packed
            line.quantity_picked = max(line.quantity_picked, packed)
        if not any(line.quantity_packed for line in lines):
            raise DomainError(f"Nothing packed for {fulfillment_order.number}; pack at least one unit or hold it.", code="nothing_packed")
        FulfillmentLine.objects.bulk_update(lines, ["quantity_picked", "quantity_packed"])
        fulfillment_order_touch(fulfillment_order, "status")
    return fulfillment_order


def fulfillment_order_ship(*, fulfillment_order_id: int, actor: Actor, tracking_number: str = "") -> FulfillmentOrder:
    """A packed fulfillment order ships what was packed, from its location.

    The units leave stock through ``order_ship`` (the order becomes partially shipped or
    shipped). Units not packed stay reserved and go to a new pending fulfillment order at the
    same location, so nothing the customer ordered is forgotten. All or nothing.
    """
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _transition(fulfillment_order, "ship")
        lines = list(fulfillment_order.lines.order_by("pk"))
        quantities = {line.order_line_id: line.quantity_packed for line in lines if line.quantity_packed}
        order = order_ship(order_id=order.pk, actor=actor, quantities=quantities, reference=fulfillment_order.number, location_id=fulfillment_order.location_id)
        remainder = [(line.order_line_id, line.product_id, line.quantity - line.quantity_packed) for line in lines if line.quantity > line.quantity_packed]
        for line in lines:
            line.quantity_shipped = line.quantity_packed
            line.quantity_picked = min(line.quantity_picked, line.quantity_packed)  # picked, not packed: back to the shelf
            line.quantity = line.quantity_packed
        FulfillmentLine.objects.bulk_update(lines, ["quantity", "quantity_picked", "quantity_shipped"])
        # A line that shipped nothing goes, unless a pick or a package records it (it stays at 0).
        FulfillmentLine.objects.filter(
            pk__in=[line.pk for line in lines if line.quantity == 0], pick_lines__isnull=True, packed_items__isnull=True
        ).delete()
        fulfillment_order.tracking_number = tracking_number[:100]
        # A short-pick hold has nothing left to stop once what was found has shipped.
        fulfillment_order.is_held = _holds_release(fulfillment_order, [FulfillmentHoldReason.SHORT_PICK], note="shipped with the units picked")
        fulfillment_order_touch(fulfillment_order, "status", "shipped_at", "tracking_number", "is_held")
        fulfillment_event_publish(fulfillment_order, FULFILLMENT_SHIPPED, tracking_number=fulfillment_order.tracking_number)
        message = f"Fulfillment order {fulfillment_order.number} shipped" + (f", tracking {tracking_number}" if tracking_number else "")
        if remainder:
            rest = fulfillment_order_new(order, location_id=fulfillment_order.location_id, lines=remainder)
            fulfillment_event_publish(rest, FULFILLMENT_CREATED, remainder_of=fulfillment_order.number)
            message += f"; units not packed go on {rest.number}"
        fulfillment_note(order, message, actor=actor, shipped=fulfillment_order.number, quantities={str(k): v for k, v in quantities.items()})
    return fulfillment_order


def fulfillment_order_deliver(*, fulfillment_order_id: int, actor: Actor) -> FulfillmentOrder:
    """A shipped fulfillment order arrived. When none of the order's fulfillment orders is still
    on its way (all delivered or cancelled) and the order is shipped, the order is delivered too."""
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _transition(fulfillment_order, "deliver")
        fulfillment_order_touch(fulfillment_order, "status", "delivered_at")
        fulfillment_event_publish(fulfillment_order, FULFILLMENT_DELIVERED)
        fulfillment_note(order, f"Fulfillment order {fulfillment_order.number} delivered", actor=actor, delivered=fulfillment_order.number)
        waiting = FulfillmentOrder.objects.filter(order=order).exclude(status__in=[FulfillmentStatus.DELIVERED, FulfillmentStatus.CANCELLED])
        if order.status == OrderStatus.SHIPPED and not waiting.exists():
            order_deliver(order_id=order.pk, actor=actor)
    return fulfillment_order


def _holds_release(fulfillment_order: FulfillmentOrder, reasons: list[str] | None, *, note: str) -> bool:
    """Release the open holds of a locked fulfillment order for ``reasons`` (None: all of them);
    returns whether any hold is still open."""
    holds = FulfillmentHold.objects.filter(fulfillment_order=fulfillment_order, released_at__isnull=True)
    if reasons is not None:
        holds.filter(reason__in=reasons).update(released_at=timezone.now(), release_note=note)
    else:
        holds.update(released_at=timezone.now(), release_note=note)
    return holds.exists()


def _cancel_locked(order: Order, fulfillment_order: FulfillmentOrder, *, actor: Actor, reason: str) -> None:
    _transition(fulfillment_order, "cancel")
    fulfillment_order.cancel_reason = reason[:255]
    fulfillment_order_touch(fulfillment_order, "status", "cancelled_at", "cancel_reason")
    _holds_release(fulfillment_order, None, note="fulfillment order cancelled")
    fulfillment_event_publish(fulfillment_order, FULFILLMENT_CANCELLED, reason=reason)


def fulfillment_order_cancel(*, fulfillment_order_id: int, actor: Actor, reason: str = "", cancel_order: bool = False) -> FulfillmentOrder:
    """Cancel an open fulfillment order.

    Its units are reserved for its order, so it is cancelled with the order: when the order is
    cancelled already, this just cancels it. Otherwise it is refused (code ``order_still_open``:
    move or split it to another location instead), unless ``cancel_order`` is given and it is the
    order's last open fulfillment order: then the order is cancelled too (its stock goes back)
    and every open fulfillment order of it with it, in one transaction.
    """
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if fulfillment_order.status == FulfillmentStatus.CANCELLED:
            return fulfillment_order
        if order.status != OrderStatus.CANCELLED:
            others = FulfillmentOrder.objects.filter(order=order, status__in=[FulfillmentStatus.PENDING, FulfillmentStatus.PICKING, FulfillmentStatus.PACKED]).exclude(pk=fulfillment_order.pk)
            if others.exists() or not cancel_order:
                raise DomainError(
                    f"{fulfillment_order.number} holds stock for order {order.number}, which is still open. Move or split it to another "
                    f"location, or cancel the order{' (it has other open fulfillment orders)' if others.exists() else ''}.",
                    code="order_still_open",
                )
            if not can_proceed(fulfillment_order.cancel):  # refuse a shipped one before touching the order
                raise InvalidTransition(f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; it cannot be cancelled.")
            order = order_cancel(order_id=order.pk, actor=actor, reason=reason or f"fulfillment order {fulfillment_order.number} cancelled")
        _cancel_locked(order, fulfillment_order, actor=actor, reason=reason or "order cancelled")
        fulfillment_note(order, f"Fulfillment order {fulfillment_order.number} cancelled", actor=actor, cancelled=fulfillment_order.number, reason=reason)
    return fulfillment_order


def fulfillment_orders_cancel_for_order(*, order_id: int, actor: Actor, reason: str = "order cancelled") -> list[FulfillmentOrder]:
    """Cancel every open fulfillment order of a cancelled order; safe to run twice."""
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status != OrderStatus.CANCELLED:
            return []
        cancelled = []
        for fulfillment_order in fulfillment_orders_lock(order):
            if fulfillment_order.is_open:
                _cancel_locked(order, fulfillment_order, actor=actor, reason=reason)
                cancelled.append(fulfillment_order)
        if cancelled:
            fulfillment_note(order, f"Fulfillment orders cancelled with the order: {', '.join(fo.number for fo in cancelled)}", actor=actor,
                             cancelled=[fo.number for fo in cancelled])
    return cancelled


def on_order_cancelled(event) -> None:
    """Subscriber of ``order.cancelled``."""
    fulfillment_orders_cancel_for_order(order_id=event.payload["order_id"], actor="job:fulfillment")


# --- holds ---------------------------------------------------------------------------------------


def fulfillment_order_hold_place(*, fulfillment_order_id: int, reason: str, actor: Actor, detail: str = "") -> FulfillmentHold:
    """Hold an open fulfillment order for ``reason``: it cannot start picking until every hold is released."""
    if reason not in FulfillmentHoldReason.values:
        raise InvalidInput(f"{reason!r} is not a hold reason.", fields={"reason": [f"One of: {', '.join(FulfillmentHoldReason.values)}."]})
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        if not fulfillment_order.is_open:
            raise InvalidTransition(f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; it cannot be held.")
        if fulfillment_order.holds.filter(reason=reason, released_at__isnull=True).exists():
            raise DomainError(f"{fulfillment_order.number} is already on hold for {FulfillmentHoldReason(reason).label.lower()}.", code="already_held")
        hold = FulfillmentHold.objects.create(
            fulfillment_order=fulfillment_order, reason=reason, detail=detail[:500], created_by_label=actor_fields(actor)["actor_label"]
        )
        fulfillment_order.is_held = True
        fulfillment_order_touch(fulfillment_order, "is_held")
        fulfillment_note(order, f"{fulfillment_order.number} on hold: {hold.get_reason_display()}" + (f": {detail}" if detail else ""), actor=actor,
                         hold_placed=fulfillment_order.number, reason=reason)
    return hold


def fulfillment_order_hold_release(*, hold_id: int, actor: Actor, note: str = "") -> FulfillmentOrder:
    """Release one hold; the fulfillment order may be picked once none is left open."""
    fulfillment_order_id = FulfillmentHold.objects.filter(pk=hold_id).values_list("fulfillment_order_id", flat=True).first()
    if fulfillment_order_id is None:
        raise NotFound(f"No fulfillment hold #{hold_id}.")
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        hold = FulfillmentHold.objects.get(pk=hold_id)
        if not hold.is_active:
            raise DomainError(f"This {hold.get_reason_display().lower()} hold was already released.", code="already_released")
        hold.released_at, hold.release_note = timezone.now(), note[:500]
        hold.released_by = actor_fields(actor)["actor"]
        hold.save(update_fields=["released_at", "release_note", "released_by"])
        fulfillment_order.is_held = fulfillment_order.holds.filter(released_at__isnull=True).exists()
        fulfillment_order_touch(fulfillment_order, "is_held")
        fulfillment_note(order, f"{fulfillment_order.number}: {hold.get_reason_display()} hold released" + (f": {note}" if note else ""), actor=actor,
                         hold_released=fulfillment_order.number, reason=hold.reason)
    return fulfillment_order


def fulfillment_order_holds_release(*, fulfillment_order_id: int, actor: Actor, note: str = "") -> FulfillmentOrder:
    """Release every open hold of a fulfillment order (the operator's 'release' button)."""
    hold_ids = list(FulfillmentHold.objects.filter(fulfillment_order_id=fulfillment_order_id, released_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    if not hold_ids:
        raise DomainError("This fulfillment order has no open hold.", code="no_hold")
    with transaction.atomic():
        for hold_id in hold_ids:
            fulfillment_order = fulfillment_order_hold_release(hold_id=hold_id, actor=actor, note=note)
    return fulfillment_order
