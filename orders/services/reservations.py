"""Moving an order line's reservation from one location to another (fulfillment re-routing)."""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from inventory.models import Location
from inventory.selectors import channel_pool_cached
from inventory.services import StockChange, stock_levels_lock, stock_release, stock_reserve
from oms.actors import Actor
from oms.errors import DomainError, InsufficientStock, InvalidInput, NotFound

from ..models import Allocation, OrderEvent, OrderLine
from ..routing.config import channel_code_of
from .audit import order_event, order_lock, order_touch


def order_reservation_move(
    *, order_id: int, line_id: int, from_location_id: int, to_location_id: int, quantity: int, actor: Actor
) -> Allocation:
    """Move ``quantity`` reserved units of one order line from one location to another.

    Locks the order, then every stock row of the order's products in primary-key order (as intake
    does, so moving several lines in one transaction cannot deadlock against it). The units
    are reserved at the target first (refused with :class:`InsufficientStock`, changing nothing,
    when it lacks available stock), then released at the source; the order's allocations follow
    and the move is written to its audit trail. The ledger records both halves, so counters keep
    reconciling. A target the order's channel may not sell from (its stock rule names other
    locations) is refused with :class:`InvalidInput`. Returns the allocation at the target.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput("quantity must be a whole number above zero.", fields={"quantity": ["Must be above zero."]})
    if from_location_id == to_location_id:
        raise InvalidInput("The reservation is already at that location.", fields={"to_location": ["Choose another location."]})
    with transaction.atomic():
        order = order_lock(order_id)
        line = OrderLine.objects.filter(pk=line_id, order_id=order.pk).first()
        if line is None:
            raise NotFound(f"Line {line_id} is not on order {order.number}.")
        target = Location.objects.filter(pk=to_location_id).first()
        if target is None:
            raise NotFound(f"No location with id {to_location_id}.", code="unknown_location")
        if not (target.is_active and target.can_ship):
            raise InvalidInput(
                f"{target.code} does not ship orders (inactive or not a shipping location).", fields={"to_location": ["Not a shipping location."]}
            )
        channel = channel_code_of(order.channel_id)
        if not channel_pool_cached(channel, max_age_seconds=settings.OMS_CHANNEL_RULES_MAX_AGE).allows(target.pk):
            raise InvalidInput(
                f"{target.code} does not sell for channel {channel}: its stock rule names other locations; nothing was moved.",
                fields={"to_location": [f"Not one of channel {channel}'s locations."]},
            )
        # Every product of the order, not only this line's: a fulfillment order moves its lines one
        # call at a time in one transaction, and taking all their stock rows at the first call keeps
        # the primary-key order intake locks in (a move holding SKU-B's rows while it waits for
        # SKU-A's, against intake holding A's and waiting for B's, would deadlock).
        products = set(OrderLine.objects.filter(order_id=order.pk, product__isnull=False).values_list("product_id", flat=True))
        pairs = {(line.product_id, from_location_id), (line.product_id, to_location_id)} | {(p, to_location_id) for p in products}
        levels = stock_levels_lock(pairs, create=False)
        source = Allocation.objects.select_for_update(no_key=True).filter(line=line, location_id=from_location_id).first()
        if source is None or source.quantity < quantity:
            held = source.quantity if source else 0
            raise DomainError(
                f"{line.sku}: {quantity} to move but only {held} reserved at the source location.", code="exceeds_reserved"
            )
        if (line.product_id, to_location_id) not in levels:
            raise InsufficientStock(f"{target.code} holds no stock of {line.sku}; nothing was moved.")
        reference = order.number or ""
        stock_reserve(changes=[StockChange(line.product_id, to_location_id, quantity, reference=reference)], levels=levels, actor=actor)
        stock_release(
            changes=[StockChange(line.product_id, from_location_id, quantity, reference=reference)],
            actor=actor,
            reason=f"order {order.number}: reservation moved to {target.code}",
        )
        if source.quantity == quantity:
            source.delete()
        else:
            source.quantity -= quantity
            source.save(update_fields=["quantity"])
        moved, created = Allocation.objects.get_or_create(line=line, location_id=to_location_id, defaults={"quantity": quantity})
        if not created:
            moved.quantity += quantity
            moved.save(update_fields=["quantity"])
        order_touch(order)
        source_code = Location.objects.filter(pk=from_location_id).values_list("code", flat=True).first()
        order_event(
            order, OrderEvent.Kind.NOTE, f"Reservation moved: {quantity} × {line.sku} from {source_code} to {target.code}", actor=actor,
            data={"reservation_move": {"line_id": line.pk, "from_location_id": from_location_id, "to_location_id": to_location_id, "quantity": quantity}},
        ).save()
    return moved


def order_reservation_release(*, order_id: int, line_id: int, location_id: int, quantity: int, actor: Actor, reason: str) -> int:
    """Give back ``quantity`` reserved units of one order line at one location (a short pick: the
    units are not on the shelf). Returns the units still reserved there.

    Locks the order, then the stock rows; the order line's reservation and allocation shrink with
    the stock's ``reserved``, the ledger records the release and the audit trail says why. The
    order's status is left as it is: what to do about the missing units is a person's decision.
    Refused with ``exceeds_reserved``, changing nothing, when fewer units are reserved there.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput("quantity must be a whole number above zero.", fields={"quantity": ["Must be above zero."]})
    with transaction.atomic():
        order = order_lock(order_id)
        line = OrderLine.objects.filter(pk=line_id, order_id=order.pk).first()
        if line is None:
            raise NotFound(f"Line {line_id} is not on order {order.number}.")
        allocation = Allocation.objects.select_for_update(no_key=True).filter(line=line, location_id=location_id).first()
        if allocation is None or allocation.quantity < quantity:
            held = allocation.quantity if allocation else 0
            raise DomainError(f"{line.sku}: {quantity} to release but only {held} reserved at that location.", code="exceeds_reserved")
        stock_release(changes=[StockChange(line.product_id, location_id, quantity, reference=order.number or "")], actor=actor, reason=reason)
        remaining = allocation.quantity - quantity
        if remaining == 0:
            allocation.delete()
        else:
            allocation.quantity = remaining
            allocation.save(update_fields=["quantity"])
        OrderLine.objects.filter(pk=line.pk).update(quantity_reserved=F("quantity_reserved") - quantity)
        order_touch(order)
        order_event(
            order, OrderEvent.Kind.RELEASED, f"Released {quantity} × {line.sku}: {reason}", actor=actor,
            data={"line_id": line.pk, "location_id": location_id, "quantity": quantity},
        ).save()
    return remaining
