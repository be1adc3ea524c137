"""Re-routing pending fulfillment orders: move to another location, split, merge.

Reservations follow the units through ``orders.services.order_reservation_move``, so the stock
ledger and the order's allocations always say where each unit is held; every change is written
to the order's audit trail.
"""

from django.db import transaction

from inventory.models import Location
from oms.actors import Actor
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from orders.models import Order
from orders.services import order_reservation_move
from orders.services.audit import order_lock

from ..events import FULFILLMENT_CREATED, fulfillment_event_publish
from ..models import FulfillmentLine, FulfillmentOrder, FulfillmentStatus
from .common import fulfillment_note, fulfillment_order_lock, fulfillment_order_new, fulfillment_order_touch, fulfillment_orders_lock


def _require_pending(fulfillment_order: FulfillmentOrder, verb: str) -> None:
    if fulfillment_order.status != FulfillmentStatus.PENDING:
        raise InvalidTransition(
            f"Fulfillment order {fulfillment_order.number} is {fulfillment_order.get_status_display().lower()}; only a pending one can be {verb}.",
            fields={"status": [f"Currently {fulfillment_order.status}."]},
        )


def _location(location_id: int) -> Location:
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        raise NotFound(f"No location with id {location_id}.", code="unknown_location", fields={"to_location": ["Unknown location."]})
    return location


def _reservations_move(order: Order, lines: list[tuple[int, int]], *, from_location_id: int, to_location_id: int, actor: Actor) -> Order:
    """Move ``(order line id, quantity)`` reservations; returns the order as locked afterwards."""
    for line_id, quantity in lines:
        order_reservation_move(
            order_id=order.pk, line_id=line_id, from_location_id=from_location_id, to_location_id=to_location_id, quantity=quantity, actor=actor
        )
    return order_lock(order.pk)  # the moves counted new versions of the order


def fulfillment_order_move(*, fulfillment_order_id: int, to_location_id: int, actor: Actor) -> FulfillmentOrder:
    """Move a pending fulfillment order, with its reservations, to another location.

    All or nothing: when the target lacks available stock for any line, :class:`InsufficientStock`
    is raised and nothing moves.
    """
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _require_pending(fulfillment_order, "moved")
        target = _location(to_location_id)
        if target.pk == fulfillment_order.location_id:
            raise InvalidInput(f"{fulfillment_order.number} is already at {target.code}.", fields={"to_location": ["Choose another location."]})
        source_id = fulfillment_order.location_id
        lines = [(line.order_line_id, line.quantity) for line in fulfillment_order.lines.order_by("order_line_id")]
        order = _reservations_move(order, lines, from_location_id=source_id, to_location_id=target.pk, actor=actor)
        fulfillment_order.location = target
        fulfillment_order_touch(fulfillment_order, "location")
        fulfillment_note(
            order, f"{fulfillment_order.number} moved to {target.code}", actor=actor,
            moved=fulfillment_order.number, from_location_id=source_id, to_location_id=target.pk,
        )
    return fulfillment_order


def fulfillment_order_split(
    *, fulfillment_order_id: int, lines: dict[int, int], actor: Actor, to_location_id: int | None = None
) -> FulfillmentOrder:
    """Split units off a pending fulfillment order into a new one, at ``to_location_id`` (default:
    the same location); ``lines`` maps fulfillment line ids to units. Returns the new one.

    At least one unit must stay behind: splitting everything is a move.
    """
    if not lines or any(not isinstance(q, int) or isinstance(q, bool) or q <= 0 for q in lines.values()):
        raise InvalidInput("Name at least one line and a whole number of units above zero for each.", fields={"lines": ["Required."]})
    with transaction.atomic():
        order, fulfillment_order = fulfillment_order_lock(fulfillment_order_id)
        _require_pending(fulfillment_order, "split")
        target_id = _location(to_location_id).pk if to_location_id is not None else fulfillment_order.location_id
        current = {line.pk: line for line in fulfillment_order.lines.order_by("pk")}
        unknown = sorted(set(lines) - set(current))
        if unknown:
            raise InvalidInput(f"Lines {unknown} are not on {fulfillment_order.number}.", fields={"lines": [f"Unknown line(s) {unknown}."]})
        for line_id, quantity in lines.items():
            if quantity > current[line_id].quantity:
                raise InvalidInput(
                    f"Line {line_id} has {current[line_id].quantity} unit(s); {quantity} cannot be split off.", fields={"lines": ["Too many units."]}
                )
        if sum(lines.values()) == sum(line.quantity for line in current.values()):
            raise InvalidInput("Splitting off every unit leaves nothing behind; move the fulfillment order instead.", fields={"lines": ["Leave at least one unit."]})
        taken = [(current[line_id].order_line_id, quantity) for line_id, quantity in sorted(lines.items())]
        if target_id != fulfillment_order.location_id:
            order = _reservations_move(order, taken, from_location_id=fulfillment_order.location_id, to_location_id=target_id, actor=actor)
        for line_id, quantity in lines.items():
            current[line_id].quantity -= quantity
        FulfillmentLine.objects.filter(pk__in=[pk for pk, line in current.items() if line.quantity == 0]).delete()
        FulfillmentLine.objects.bulk_update([line for line in current.values() if line.quantity], ["quantity"])
        fulfillment_order_touch(fulfillment_order)
        split = fulfillment_order_new(
            order, location_id=target_id, lines=[(current[line_id].order_line_id, current[line_id].product_id, quantity) for line_id, quantity in sorted(lines.items())]
        )
        split.priority = fulfillment_order.priority
        split.save(update_fields=["priority"])
        fulfillment_event_publish(split, FULFILLMENT_CREATED, split_from=fulfillment_order.number)
        fulfillment_note(
            order, f"{split.number} split off {fulfillment_order.number}", actor=actor,
            split_from=fulfillment_order.number, split_to=split.number, location_id=target_id,
            lines=[{"order_line_id": line_id, "quantity": quantity} for line_id, quantity in taken],
        )
    return split


def fulfillment_orders_merge(*, fulfillment_order_ids: list[int], actor: Actor) -> FulfillmentOrder:
    """Merge pending fulfillment orders of one order at one location into the oldest of them.

    The others are emptied and cancelled (reason: merged); reservations stay where they are.
    """
    ids = sorted(set(fulfillment_order_ids))
    if len(ids) < 2:
        raise InvalidInput("Choose at least two fulfillment orders to merge.", fields={"fulfillment_orders": ["At least two."]})
    order_ids = set(FulfillmentOrder.objects.filter(pk__in=ids).values_list("order_id", flat=True))
    if len(order_ids) != 1:
        raise InvalidInput("Only fulfillment orders of the same order can be merged.", fields={"fulfillment_orders": ["Different orders."]})
    with transaction.atomic():
        order = order_lock(order_ids.pop())
        found = fulfillment_orders_lock(order, ids)
        if len(found) != len(ids):
            raise NotFound("Some of these fulfillment orders no longer exist.")
        if len({fo.location_id for fo in found}) != 1:
            raise InvalidInput("Only fulfillment orders at the same location can be merged; move one first.", fields={"fulfillment_orders": ["Different locations."]})
        for fulfillment_order in found:
            _require_pending(fulfillment_order, "merged")
        survivor, others = found[0], found[1:]
        kept = {line.order_line_id: line for line in survivor.lines.all()}
        for line in FulfillmentLine.objects.filter(fulfillment_order__in=others).order_by("pk"):
            if line.order_line_id in kept:
                kept[line.order_line_id].quantity += line.quantity
            else:
                kept[line.order_line_id] = FulfillmentLine(
                    fulfillment_order=survivor, order_line_id=line.order_line_id, product_id=line.product_id, quantity=line.quantity
                )
        FulfillmentLine.objects.filter(fulfillment_order__in=others).delete()
        FulfillmentLine.objects.bulk_update([line for line in kept.values() if line.pk], ["quantity"])
        FulfillmentLine.objects.bulk_create([line for line in kept.values() if not line.pk])
        survivor.is_held = survivor.is_held or any(fo.is_held for fo in others)
        survivor.priority = min(fo.priority for fo in found)
        fulfillment_order_touch(survivor, "is_held", "priority")
        for other in others:
            # Their open holds follow the units to the survivor.
            other.holds.filter(released_at__isnull=True).exclude(reason__in=survivor.holds.filter(released_at__isnull=True).values("reason")).update(fulfillment_order=survivor)
            other.holds.filter(released_at__isnull=True).update(released_at=survivor.updated_at, release_note=f"merged into {survivor.number}")
            other.cancel()
            other.cancel_reason = f"merged into {survivor.number}"
            other.is_held = False
            fulfillment_order_touch(other, "status", "cancelled_at", "cancel_reason", "is_held")
        fulfillment_note(
            order, f"{', '.join(fo.number for fo in others)} merged into {survivor.number}", actor=actor,
            merged_into=survivor.number, merged=[fo.number for fo in others],
        )
    return survivor
