"""Reserving stock for orders, releasing it, and serving backorders first-come-first-served."""

import logging
from collections.abc import Iterable

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from inventory.selectors import ChannelPool, available_to_promise, channel_allowances, channel_pool_cached
from inventory.services import StockChange, stock_levels_lock_sellable, stock_release, stock_reserve
from oms.actors import Actor
from oms.errors import InsufficientStock

from ..models import Allocation, Order, OrderEvent, OrderLine, OrderStatus
from ..routing import DEFAULT_RULES, Decision, Need, RoutingRules, Site, route
from ..routing.config import channel_code_of, location_loads, location_loads_add, routing_rules_for, rules_within
from ..routing.engine import decision_beyond_allowance, needs_within
from ..routing.explain import decision_record, routing_with
from .audit import order_event, order_event_publish, order_lock, order_touch, order_transition
from ..routing.prices import order_pricer

logger = logging.getLogger(__name__)


class StockView:
    """Locked stock rows of some products at every active shipping location, as routing sees them.

    With ``channel`` (its code), the channel's stock rule applies to every decision made on
    these rows: routing only sees the locations the rule allows, and takes of each product at
    most what the rule lets the channel have now (``inventory.selectors.channel_allowances``,
    the definition the published figure uses); the rest of the need is left missing, waiting
    for stock like any shortage. The rule costs no query (a per-process copy, see
    ``OMS_CHANNEL_RULES_MAX_AGE``, or read again when ``rules_version`` says the rules changed);
    the rows it is computed from are locked here, so concurrent orders cannot both take the
    channel's last allowed units. ``also_at`` adds locations that do not ship but sell over
    their counter (the stores of several channels' rules, for a window of many channels).
    """

    def __init__(self, product_ids: Iterable[int], *, channel: str = "", rules_version: str | None = None, also_at: Iterable[int] = ()):
        max_age = settings.OMS_CHANNEL_RULES_MAX_AGE
        self.pool = channel_pool_cached(channel, max_age_seconds=max_age, version=rules_version) if channel else ChannelPool(channel="")
        rows = stock_levels_lock_sellable(product_ids, also_at=set(self.pool.location_ids or ()) | set(also_at))
        self.levels = {(row.product_id, row.location_id): row for row in rows}
        locations = {row.location_id: row for row in rows}
        self.capacity = {pk: row.location_capacity for pk, row in locations.items() if row.location_capacity is not None}
        loads = location_loads() if self.capacity else {}
        self.sites = [
            Site(
                pk, row.latitude, row.longitude, row.priority, row.location_code, row.location_kind,
                at_capacity=pk in self.capacity and loads.get(pk, 0) >= self.capacity[pk], country=row.location_country,
                postal_code=row.location_postal_code,
            )
            for pk, row in locations.items()
        ]

    def allowances(self) -> dict[int, int] | None:
        """Units of each product the channel may take now; None when its rule limits nothing."""
        if not self.pool.limited:
            return None
        return channel_allowances(self.pool, {key: row.available for key, row in self.levels.items()})

    def route(
        self, needs: list[Need], destination: tuple[float, float] | None, *, rules: RoutingRules = DEFAULT_RULES,
        shipping_from: frozenset[int] = frozenset(), avoid: frozenset[int] = frozenset(), order: Order | None = None,
    ) -> Decision:
        """The engine's decision on these rows, within the channel's stock rule; a capped location
        it sends a new shipment to counts one more order today. Locations in ``avoid`` offer
        nothing this time. With ``order``, parcels are priced from the rate tables for its
        address and currency."""
        available = {key: 0 if key[1] in avoid else units for key, units in self.available().items()}
        pricer = order_pricer(order, self.sites) if order is not None else None
        allowances = self.allowances()
        within, beyond = needs_within(needs, allowances) if allowances is not None else (needs, {})
        decision = route(
            needs=within, available=available, sites=self.sites, destination=destination, rules=rules_within(rules, self.pool.location_ids),
            shipping_from=shipping_from, pricer=pricer,
        )
        if beyond:
            decision_beyond_allowance(decision, beyond, channel=self.pool.channel)
        if self.capacity and decision.winner is not None:
            location_loads_add(pk for pk in decision.winner.take if pk in self.capacity and pk not in shipping_from)
        return decision

    def adopt(self, decision: Decision) -> bool:
        """Take a decision made elsewhere (batch routing) if it covers its order, keeps within the
        channel's stock rule and these rows still hold every unit it plans; counts it against
        capacity as :meth:`route` does."""
        if not decision.covered or decision.winner is None:
            return False
        allowances = self.allowances()
        taken: dict[int, int] = {}
        for location_id, by_product in decision.winner.take.items():
            if not self.pool.allows(location_id):
                return False
            for product_id, units in by_product.items():
                row = self.levels.get((product_id, location_id))
                if row is None or row.available < units:
                    return False
                taken[product_id] = taken.get(product_id, 0) + units
        if allowances is not None and any(units > allowances.get(product_id, 0) for product_id, units in taken.items()):
            return False
        if self.capacity:
            location_loads_add(pk for pk in decision.winner.take if pk in self.capacity)
        return True

    def available(self) -> dict[tuple[int, int], int]:
        return {key: max(row.available, 0) for key, row in self.levels.items()}

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
            stock = StockView((line.product_id for line in lines), channel=channel_code_of(order.channel_id))
            needs = [Need(line.pk, line.product_id, line.quantity_open, line.product.weight_grams) for line in lines]
            decision = stock.route(needs, destination_of(order), rules=routing_rules_for(order.channel_id), shipping_from=shipping_from, order=order)
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


# Orders whose fulfillment has begun: units they lack (a short pick gave them back) are reserved
# without a status change, and their fulfillment orders are cut from the new reservations.
IN_FULFILLMENT_STATUSES = (OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED)
REALLOCATED_EVENT = "order.reallocated"


@dataclass
class Reallocation:
    """What :func:`order_reallocate` did: ``(line id, sku, location code, units)`` reserved and
    ``(line id, sku, units)`` still waiting for stock."""

    reserved: list[tuple[int, str, str, int]] = field(default_factory=list)
    waiting: list[tuple[int, str, int]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{units} × {sku} reserved at {code}" for _, sku, code, units in self.reserved]
        parts += [f"{units} × {sku} waiting for stock" for _, sku, units in self.waiting]
        return "; ".join(parts)


def order_reallocate(*, order_id: int, actor: Actor, trigger: str, avoid_location_ids: Iterable[int] = ()) -> Reallocation:
    """Reserve the open units of an order in fulfillment (in fulfillment or partially shipped):
    units that are neither shipped nor reserved, such as those a short pick gave back.

    The routing engine decides where from, under the order's channel strategy, with
    ``avoid_location_ids`` offering nothing (the location that just came up short); locations
    the order still ships from cost no new shipment. The order's status does not change: it
    ships what it holds, and what no location can cover waits for stock, served like a
    backorder when stock arrives (:func:`backorders_allocate`). When something is reserved, the
    decision is appended to ``Order.routing``, the audit trail says what was reserved where and
    what still waits, and ``order.reallocated`` announces it (fulfillment cuts fulfillment
    orders from the new reservations). Otherwise nothing is written. Orders in other states, or
    with nothing open, are left alone.
    """
    avoid = frozenset(avoid_location_ids)
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status not in IN_FULFILLMENT_STATUSES:
            return Reallocation()
        lines = [line for line in order.lines.select_related("product") if line.product_id and line.quantity_open > 0]
        if not lines:
            return Reallocation()
        # Where the order still holds stock (the location to avoid aside): no new shipment there.
        shipping_from = frozenset(Allocation.objects.filter(line__order=order).values_list("location_id", flat=True)) - avoid
        stock = StockView((line.product_id for line in lines), channel=channel_code_of(order.channel_id))
        needs = [Need(line.pk, line.product_id, line.quantity_open, line.product.weight_grams) for line in lines]
        decision = stock.route(
            needs, destination_of(order), rules=routing_rules_for(order.channel_id), shipping_from=shipping_from, avoid=avoid, order=order
        )
        reserved_more = _apply_plan(order, lines, decision.plan, stock, actor=actor)
        result = Reallocation(
            reserved=[
                (line.pk, line.sku, decision.codes.get(location_id, str(location_id)), units)
                for line in lines
                for location_id, units in decision.plan.get(line.pk, [])
            ],
            waiting=[(line.pk, line.sku, line.quantity_open) for line in lines if line.quantity_open > 0],
        )
        if not reserved_more:  # nothing changed; the caller says what waits where it matters
            return result
        record = decision_record(decision, trigger=trigger, outcome=order.status, skus={line.product_id: line.sku for line in lines})
        order_touch(order, routing=routing_with(order.routing, record))
        order_event(
            order, OrderEvent.Kind.NOTE, f"Open units re-routed ({trigger}): {result.summary()}", actor=actor,
            data={"reallocation": {
                "trigger": trigger,
                "avoided_location_ids": sorted(avoid),
                "reserved": [{"line_id": pk, "sku": sku, "location": code, "quantity": units} for pk, sku, code, units in result.reserved],
                "waiting": [{"line_id": pk, "sku": sku, "quantity": units} for pk, sku, units in result.waiting],
            }},
        ).save()
        order_event_publish(
            order, REALLOCATED_EVENT, trigger=trigger,
            reserved=[{"sku": sku, "location": code, "quantity": units} for _, sku, code, units in result.reserved],
        )
    return result


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


# A line with units neither shipped nor reserved.
_OPEN = Q(quantity__gt=F("quantity_shipped") + F("quantity_reserved"))


def backorders_allocate(*, product_ids: Iterable[int], actor: Actor = "job:backorders", limit: int = 500) -> int:
    """Serve orders waiting for these products, oldest first: backordered ones are allocated,
    ones in fulfillment get their open units reserved (:func:`order_reallocate`). Returns how
    many now hold everything they wait for."""
    waiting_lines = OrderLine.objects.filter(product_id__in=list(product_ids)).filter(_OPEN).values("order_id")
    waiting = list(
        Order.objects.filter(Q(status=OrderStatus.BACKORDERED) | Q(status__in=IN_FULFILLMENT_STATUSES), pk__in=waiting_lines)
        .order_by("placed_at", "id")
        .values_list("pk", "status")[:limit]
    )
    served = 0
    for order_id, status in waiting:
        if status == OrderStatus.BACKORDERED:
            served += order_allocate(order_id=order_id, actor=actor).status == OrderStatus.ALLOCATED
        else:
            served += not order_reallocate(order_id=order_id, actor=actor, trigger="stock arrived").waiting
    return served


def backorders_sweep(*, actor: Actor = "job:backorders", limit: int = 500) -> int:
    """Serve every waiting order (backordered, or in fulfillment with open units) whose missing
    products have stock now; returns how many.

    Receipts announce new stock by event, but a receipt that created a stock row concurrently
    with an intake, or an event whose dispatch was lost, could leave an order waiting beside
    stock it could have; this periodic pass catches those.
    """
    waiting = (
        OrderLine.objects.filter(Q(order__status=OrderStatus.BACKORDERED) | Q(order__status__in=IN_FULFILLMENT_STATUSES), _OPEN, product__isnull=False)
        .values_list("product_id", flat=True)
        .distinct()
    )
    ready = [product_id for product_id, units in available_to_promise(list(waiting)).items() if units > 0]
    return backorders_allocate(product_ids=ready, actor=actor, limit=limit) if ready else 0


def on_stock_available(event) -> None:
    """Subscriber: stock rose somewhere; give it to the orders that have waited longest."""
    backorders_allocate(product_ids=event.payload.get("product_ids", []))
