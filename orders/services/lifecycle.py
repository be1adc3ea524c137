"""Moving an order along its lifecycle after intake: holds, cancellation, payment, shipping."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from inventory.models import Product
from inventory.services import StockChange, stock_ship
from oms.actors import Actor, actor_fields
from oms.errors import DomainError, Forbidden, InvalidInput, InvalidTransition, NotFound

from ..models import Allocation, HoldReason, Order, OrderEvent, OrderHold, OrderLine, OrderStatus, PaymentStatus
from .allocation import order_allocate, order_release_stock
from .invoicing import ShippedUnits, invoice_for_shipment
from .audit import order_event, order_event_publish, order_lock, order_touch, order_transition


def order_cancel(*, order_id: int, actor: Actor, reason: str = "") -> Order:
    """Cancel an order that has not shipped; its reservations go back to stock.

    Cancelling an order already cancelled returns it unchanged.
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        order_transition(order, "cancel", actor=actor, message=f"Cancelled{': ' + reason if reason else ''}", event_data={"reason": reason})
        order_release_stock(order, actor=actor, reason=f"order {order.number} cancelled")
        OrderHold.objects.filter(order=order, released_at__isnull=True).update(
            released_at=timezone.now(), release_note="order cancelled", released_by=actor_fields(actor)["actor"]
        )
    return order


def order_hold_place(*, order_id: int, reason: str, detail: str = "", actor: Actor) -> OrderHold:
    """Put an order on hold for ``reason``. Stock it holds stays reserved while it waits."""
    if reason not in HoldReason.values:
        raise InvalidInput(f"{reason!r} is not a hold reason.", fields={"reason": [f"One of: {', '.join(HoldReason.values)}."]})
    with transaction.atomic():
        order = order_lock(order_id)
        if OrderHold.objects.filter(order=order, reason=reason, released_at__isnull=True).exists():
            raise DomainError(f"Order {order.number} is already on hold for {HoldReason(reason).label.lower()}.", code="already_held")
        if order.status != OrderStatus.ON_HOLD:
            order_transition(order, "hold", actor=actor, message=f"On hold: {HoldReason(reason).label}", event_data={"reason": reason})
        else:  # held already for another reason: no status change, but a change all the same
            order_touch(order)
            order_event_publish(order, "order.held", previous_status=order.status, reason=reason)
        hold = OrderHold.objects.create(order=order, reason=reason, detail=detail[:500])
        order_event(order, OrderEvent.Kind.HOLD_PLACED, f"{hold.get_reason_display()}: {detail}", actor=actor, data={"reason": reason}).save()
    return hold


def _relink_products(order: Order) -> None:
    """Before a stock hold is released: every line must name an active product."""
    lines = list(order.lines.all())
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line.sku for line in lines])}
    problems = []
    for line in lines:
        product = products.get(line.sku)
        if product is None:
            problems.append(f"{line.sku} is still unknown")
        elif not product.is_active:
            problems.append(f"{line.sku} is still inactive")
        elif line.product_id != product.pk:
            line.product = product
            line.name = product.name
            line.save(update_fields=["product", "name"])
    if problems:
        raise DomainError(
            f"Cannot release: {'; '.join(problems)}. Create or activate the product, or cancel the order.", code="hold_cause_persists"
        )


def credit_release_check(actor: Actor) -> None:
    """A credit-limit hold is accounting's to release: a person needs ``orders.release_credit_hold``
    (the Accounting role); integrations (API keys, acting under their scopes) and jobs may."""
    if isinstance(actor, AbstractBaseUser) and not actor.has_perm("orders.release_credit_hold"):
        raise Forbidden(
            "A credit-limit hold is released by accounting (permission \"Can release credit-limit holds\"): ask them to decide.",
            code="credit_hold_needs_accounting",
        )


def order_hold_release(*, hold_id: int, actor: Actor, note: str = "") -> Order:
    """Release one hold. When it was the last, the order rejoins the main path and is allocated."""
    with transaction.atomic():
        hold = OrderHold.objects.filter(pk=hold_id).only("order_id").first()
        if hold is None:
            raise NotFound(f"No hold #{hold_id}.")
        order = order_lock(hold.order_id)
        hold = OrderHold.objects.select_for_update().get(pk=hold_id)
        if not hold.is_active:
            raise DomainError(f"This {hold.get_reason_display().lower()} hold was already released.", code="already_released")
        if order.status != OrderStatus.ON_HOLD:
            raise InvalidTransition(f"Order {order.number} is {order.get_status_display().lower()}, not on hold.")
        if hold.reason == HoldReason.CREDIT_LIMIT:
            credit_release_check(actor)
        if hold.reason == HoldReason.STOCK:
            _relink_products(order)
        hold.released_at, hold.release_note = timezone.now(), note[:500]
        hold.released_by = actor_fields(actor)["actor"]
        hold.save(update_fields=["released_at", "release_note", "released_by"])
        order_event(order, OrderEvent.Kind.HOLD_RELEASED, f"{hold.get_reason_display()} released{': ' + note if note else ''}", actor=actor, data={"reason": hold.reason}).save()
        if OrderHold.objects.filter(order=order, released_at__isnull=True).exists():
            order_touch(order)
            return order
        order_transition(order, "release", actor=actor, message="All holds released")
        # In the same transaction: an order never rests in pending with nothing to move it on.
        return order_allocate(order_id=order.pk, actor=actor)


def order_holds_release_all(*, order_id: int, actor: Actor, note: str = "") -> Order:
    """Release every open hold of an order (the operator's 'release' button): all of them or, when
    one may not be released by this actor, none."""
    with transaction.atomic():
        holds = list(OrderHold.objects.filter(order_id=order_id, released_at__isnull=True).order_by("id").values_list("pk", "reason"))
        if not holds:
            raise DomainError("This order has no open hold.", code="no_hold")
        if any(reason == HoldReason.CREDIT_LIMIT for _, reason in holds):
            credit_release_check(actor)
        order = None
        for hold_id, _ in holds:
            order = order_hold_release(hold_id=hold_id, actor=actor, note=note)
        return order


def order_holds_release(*, order_id: int, actor: Actor, reason: str | None = None, note: str = "") -> Order:
    """Release the order's open hold for ``reason``, or every open hold when ``reason`` is None.

    Refused with ``no_hold`` when there is no such hold; otherwise as :func:`order_hold_release`:
    the last hold released allocates the order.
    """
    if reason is None:
        return order_holds_release_all(order_id=order_id, actor=actor, note=note)
    if reason not in HoldReason.values:
        raise InvalidInput(f"{reason!r} is not a hold reason.", fields={"reason": [f"One of: {', '.join(HoldReason.values)}."]})
    hold_id = OrderHold.objects.filter(order_id=order_id, reason=reason, released_at__isnull=True).values_list("pk", flat=True).first()
    if hold_id is None:
        raise DomainError(f"This order has no open {HoldReason(reason).label.lower()} hold.", code="no_hold", fields={"reason": ["No open hold for this reason."]})
    return order_hold_release(hold_id=hold_id, actor=actor, note=note)


def order_payment_update(*, order_id: int, payment_status: str, actor: Actor) -> Order:
    """Record what the payment provider says; an authorisation clears a payment hold."""
    if payment_status not in PaymentStatus.values:
        raise InvalidInput(f"{payment_status!r} is not a payment status.", fields={"payment_status": [f"One of: {', '.join(PaymentStatus.values)}."]})
    with transaction.atomic():
        order = order_lock(order_id)
        before = order.payment_status
        if before == payment_status:
            return order
        order_touch(order, payment_status=payment_status)
        order_event(order, OrderEvent.Kind.PAYMENT, f"Payment {before} → {payment_status}", actor=actor, data={"from": before, "to": payment_status}).save()
        hold = OrderHold.objects.filter(order=order, reason=HoldReason.PAYMENT, released_at__isnull=True).first()
    if hold and payment_status in (PaymentStatus.AUTHORIZED, PaymentStatus.PAID):
        return order_hold_release(hold_id=hold.pk, actor=actor, note=f"payment {payment_status}")
    return order


def order_start_fulfillment(*, order_id: int, actor: Actor) -> Order:
    """An allocated order is handed to its locations for picking."""
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order, "start_fulfillment", actor=actor)
    return order


def order_ship(
    *, order_id: int, actor: Actor, quantities: dict[int, int] | None = None, reference: str = "", location_id: int | None = None
) -> Order:
    """Ship reserved units: ``quantities`` maps line ids to units (default: everything reserved);
    ``location_id`` ships them from that location's reservations only (a fulfillment order).

    Stock leaves on hand and reserved together; the order becomes partially shipped or shipped.
    An order on payment terms gets the invoice of exactly these units (``invoicing``).
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status not in (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED):
            raise InvalidTransition(f"Order {order.number} is {order.get_status_display().lower()}; only an order in fulfillment can ship.")
        lines = {line.pk: line for line in order.lines.all()}
        wanted = quantities if quantities is not None else {pk: line.quantity_reserved for pk, line in lines.items()}
        allocations = list(Allocation.objects.filter(line__order=order).order_by("line_id", "id"))
        changes, touched, shipped = [], [], []
        for line_id, quantity in wanted.items():
            line = lines.get(line_id)
            if line is None:
                raise InvalidInput(f"Line {line_id} is not on order {order.number}.", fields={"quantities": [f"Unknown line {line_id}."]})
            if quantity > line.quantity_reserved:
                raise DomainError(f"{line.sku}: {quantity} to ship but only {line.quantity_reserved} reserved.", code="exceeds_reserved")
            left = quantity
            for allocation in (a for a in allocations if a.line_id == line_id and location_id in (None, a.location_id)):
                take = min(left, allocation.quantity)
                if take:
                    changes.append(StockChange(line.product_id, allocation.location_id, take, reference=reference or order.number))
                    allocation.quantity -= take
                    left -= take
            if left:
                raise DomainError(f"{line.sku}: {quantity} to ship but fewer reserved at that location.", code="exceeds_reserved")
            shipped.append(ShippedUnits(line=line, quantity=quantity, shipped_before=line.quantity_shipped))
            line.quantity_shipped += quantity
            line.quantity_reserved -= quantity
            touched.append(line)
        if not changes:
            raise DomainError("Nothing to ship.", code="nothing_to_ship")
        stock_ship(changes=changes, actor=actor, reason=f"order {order.number}")
        Allocation.objects.filter(pk__in=[a.pk for a in allocations if a.quantity == 0]).delete()
        Allocation.objects.bulk_update([a for a in allocations if a.quantity > 0], ["quantity"])
        OrderLine.objects.bulk_update(touched, ["quantity_shipped", "quantity_reserved"])
        complete = all(line.quantity_shipped == line.quantity for line in lines.values())
        order_transition(order, "ship" if complete else "ship_partially", actor=actor)
        # Last: an order on payment terms is invoiced for what this shipment shipped, and the
        # invoice number's lock is the last this transaction takes.
        invoice_for_shipment(order=order, shipped=shipped, lines=list(lines.values()), actor=actor)
    return order


def order_deliver(*, order_id: int, actor: Actor) -> Order:
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order, "deliver", actor=actor)
    return order


def order_complete(*, order_id: int, actor: Actor) -> Order:
    with transaction.atomic():
        order = order_lock(order_id)
        order_transition(order, "complete", actor=actor)
    return order


def order_note_add(*, order_id: int, text: str, actor: Actor) -> OrderEvent:
    if not text.strip():
        raise InvalidInput("A note needs some text.", fields={"text": ["This field is required."]})
    with transaction.atomic():
        order = order_lock(order_id)
        order_touch(order)
        event = order_event(order, OrderEvent.Kind.NOTE, text.strip(), actor=actor)
        event.save()
    return event
