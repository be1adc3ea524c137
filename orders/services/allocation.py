"""Reserving stock for orders, releasing it, and serving backorders first-come-first-served."""

import logging
from collections.abc import Iterable

from django.db import transaction

from inventory.selectors import available_to_promise
from inventory.services import StockChange, stock_levels_lock_sellable, stock_release, stock_reserve
from oms.actors import Actor
from oms.errors import InsufficientStock

from ..models import Allocation, Order, OrderEvent, OrderLine, OrderStatus
from ..routing import DEFAULT_RULES, Decision, Need, RoutingRules, Site, route
from ..routing.config import location_loads, location_loads_add, routing_rules_for
from ..routing.explain import decision_record, routing_with
from .audit import order_event, order_lock, order_touch, order_transition

logger = logging.getLogger(__name__)


class StockView:
    """Locked stock rows of some products at every active shipping location, as routing sees them."""

    def __init__(self, product_ids: Iterable[int]):
        rows = stock_levels_lock_sellable(product_ids)
        self.levels = {(row.product_id, row.location_id): row for row in rows}
        locations = {row.location_id: row for row in rows}
        self.capacity = {pk: row.location_capacity for pk, row in locations.items() if row.location_capacity is not None}
        loads = location_loads() if self.capacity else {}
        self.sites = [
            Site(
                pk, row.latitude, row.longitude, row.priority, row.location_code, row.location_kind,
                at_capacity=pk in self.capacity and loads.get(pk, 0) >= self.capacity[pk],
            )
            for pk, row in locations.items()
        ]

    def route(
        self, needs: list[Need], destination: tuple[float, float] | None, *, rules: RoutingRules = DEFAULT_RULES,
        shipping_from: frozenset[int] = frozenset(),
    ) -> Decision:
        """The engine's decision on these rows; a capped location it sends a new shipment to
        counts one more order today."""
        available = {key: max(row.available, 0) for key, row in self.levels.items()}
        decision = route(needs=needs, available=available, sites=self.sites, destination=destination, rules=rules, shipping_from=shipping_from)
        if self.capacity and decision.winner is not None:
            location_loads_add(pk for pk in decision.winner.take if pk in self.capacity and pk not in shipping_from)
        return decision

    def plan(self, needs: list[Need], destination: tuple[float, float] | None) -> dict[int, list[tuple[int, int]]]:
        return self.route(needs, destination).plan


def destination_of(order: Order) -> tuple[float, float] | None:
    if order.destination_latitude is None or order.destination_longitude is None:
        return None
    return (order.destination_latitude, order.destination_longitude)


def order_allocate(*, order_id: int, actor: Actor) -> Order:
    """Reserve what a pending or backordered order still lacks, then move it on.

    The routing engine decides where from, under the order's channel strategy; locations the
    order already ships from cost no new shipment. Fully covered: ``allocated``. Anything still
    missing: ``backordered`` (keeping what was reserved). A decision that reserved something or
    moved the order is appended to ``Order.routing`` in the order's own UPDATE. Orders in other
    states are returned unchanged, so running it twice is harmless.
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status not in (OrderStatus.PENDING, OrderStatus.BACKORDERED):
            return order
        trigger = "stock arrived" if order.status == OrderStatus.BACKORDERED else "released"
        lines = [line for line in order.lines.select_related("product") if line.product_id and line.quantity_open > 0]
        decision = None
        if lines:
            shipping_from = frozenset(Allocation.objects.filter(line__order=order).values_list("location_id", flat=True))
            stock = StockView(line.product_id for line in lines)
            needs = [Need(line.pk, line.product_id, line.quantity_open, line.product.weight_grams) for line in lines]
            decision = stock.route(needs, destination_of(order), rules=routing_rules_for(order.channel_id), shipping_from=shipping_from)
            reserved_more = _apply_plan(order, lines, decision.plan, stock, actor=actor)
        else:
            reserved_more = False
        still_open = any(line.quantity_open > 0 for line in order.lines.all())
        target = OrderStatus.BACKORDERED if still_open else OrderStatus.ALLOCATED

        def routing() -> dict:
            if decision is None or not (reserved_more or target != order.status):
                return {}
            record = decision_record(decision, trigger=trigger, outcome=target, skus={line.product_id: line.sku for line in lines})
            return {"routing": routing_with(order.routing, record)}

        if still_open:
            if order.status != OrderStatus.BACKORDERED:
                order_transition(order, "backorder", actor=actor, message="Waiting for stock", values=routing())
            elif reserved_more:  # part of what it waits for came in
                order_touch(order, **routing())
        else:
            order_transition(order, "allocate", actor=actor, values=routing())
    return order


def _apply_plan(order: Order, lines: list[OrderLine], plan: dict[int, list[tuple[int, int]]], stock: StockView, *, actor: Actor) -> bool:
    """Reserve what ``plan`` says; returns whether anything was reserved."""
    by_id = {line.pk: line for line in lines}
    changes = [
        StockChange(by_id[line_id].product_id, location_id, quantity, reference=order.number)
        for line_id, parts in plan.items()
        for location_id, quantity in parts
    ]
    if not changes:
        return False
    try:
        stock_reserve(changes=changes, levels=stock.levels, actor=actor)
    except InsufficientStock:  # the rows are locked, so this means a bug, not a race
        logger.exception("reservation refused for %s", order)
        raise
    existing = {(a.line_id, a.location_id): a for a in Allocation.objects.filter(line__in=by_id)}
    new_rows, grown = [], []
    for line_id, parts in plan.items():
        for location_id, quantity in parts:
            found = existing.get((line_id, location_id))
            if found:
                found.quantity += quantity
                grown.append(found)
            else:
                new_rows.append(Allocation(line_id=line_id, location_id=location_id, quantity=quantity))
            by_id[line_id].quantity_reserved += quantity
    Allocation.objects.bulk_create(new_rows)
    if grown:
        Allocation.objects.bulk_update(grown, ["quantity"])
    OrderLine.objects.bulk_update([by_id[line_id] for line_id, parts in plan.items() if parts], ["quantity_reserved"])
    order_event(
        order, OrderEvent.Kind.RESERVED, f"Reserved {sum(c.quantity for c in changes)} unit(s)", actor=actor,
        data={"allocations": [{"line_id": k, "location_id": loc, "quantity": q} for k, parts in plan.items() for loc, q in parts]},
    ).save()
    return True


def order_release_stock(order: Order, *, actor: Actor, reason: str) -> int:
    """Give back every unit a locked order holds; returns how many."""
    allocations = list(Allocation.objects.filter(line__order=order).select_related("line"))
    if not allocations:
        return 0
    stock_release(
        changes=[StockChange(a.line.product_id, a.location_id, a.quantity, reference=order.number) for a in allocations],
        actor=actor,
        reason=reason,
    )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    OrderLine.objects.filter(order=order).update(quantity_reserved=0)
    released = sum(a.quantity for a in allocations)
    order_event(order, OrderEvent.Kind.RELEASED, f"Released {released} unit(s): {reason}", actor=actor).save()
    return released


def backorders_allocate(*, product_ids: Iterable[int], actor: Actor = "job:backorders", limit: int = 500) -> int:
    """Serve backordered orders waiting for these products, oldest first; returns how many were served."""
    waiting_lines = OrderLine.objects.filter(product_id__in=list(product_ids)).values("order_id")
    waiting = list(
        Order.objects.filter(status=OrderStatus.BACKORDERED, pk__in=waiting_lines)
        .order_by("placed_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    served = 0
    for order_id in waiting:
        if order_allocate(order_id=order_id, actor=actor).status == OrderStatus.ALLOCATED:
            served += 1
    return served


def backorders_sweep(*, actor: Actor = "job:backorders", limit: int = 500) -> int:
    """Serve every backordered order whose missing products have stock now; returns how many.

    Receipts announce new stock by event, but a receipt that created a stock row concurrently
    with an intake, or an event whose dispatch was lost, could leave an order waiting beside
    stock it could have; this periodic pass catches those.
    """
    waiting = (
        OrderLine.objects.filter(order__status=OrderStatus.BACKORDERED, product__isnull=False)
        .values_list("product_id", flat=True)
        .distinct()
    )
    ready = [product_id for product_id, units in available_to_promise(list(waiting)).items() if units > 0]
    return backorders_allocate(product_ids=ready, actor=actor, limit=limit) if ready else 0


def on_stock_available(event) -> None:
    """Subscriber: stock rose somewhere; give it to the orders that have waited longest."""
    backorders_allocate(product_ids=event.payload.get("product_ids", []))
