"""Rolling re-planning: the allocated orders still waiting to go to the floor are re-planned
together, and a reservation moves only where the whole window saves by it.

An order routed on arrival took the best plan the stock allowed then; a later order may need
those units more, or stock may have come in nearer the customer. :func:`replan_open_orders`
takes the window (allocated orders of channels with re-planning on, placed within the channel's
release delay, not on hold and with nothing cut for the floor yet), asks
:func:`orders.routing.replan.replan` for a cheaper assignment of what they hold, and moves the
reservations it accepts through the stock ledger's release and reserve, like every other
reservation move. The beat runs it every few minutes; intake queues a run of a channel as soon
as its window fills (:func:`replan_arrival`). An order with a promised delivery date moves only
to locations the carriers' dates show on time (:func:`on_time_locations`).

Locks: the orders first, in one statement in id order (each order service locks its order before stock), then
every stock row of the window's products in primary-key order, the footprint a reservation
move and a release take, then the sellable subset routing reads (already held). So a run waits
on intake, allocation, a reservation move or a fulfillment start at most until that commits,
and they wait on it likewise; none waits in a circle.
"""

import time
from datetime import timedelta
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inventory.models import StockLevel
from inventory.selectors import channel_pool_cached
from inventory.services import StockChange, stock_release, stock_reserve
from oms.actors import Actor, actor_fields
from oms.db import rows_select

from ..models import Allocation, Channel, Order, OrderEvent, OrderHold, OrderLine, OrderStatus, ReplanRun
from ..routing import Need
from ..routing.config import routing_rules_for, rules_within
from ..routing.explain import decision_record, routing_with
from ..routing.prices import order_pricer
from ..routing.replan import WindowOrder, replan
from .allocation import REALLOCATED_EVENT, StockView, destination_of
from .audit import order_event, order_event_publish, order_touch

REPLAN_TRIGGER = "re-planned"


@dataclass
class ReplannedOrder:
    """One order the run moved (or, in a dry run, would move)."""

    order_id: int
    number: str
    saving: float
    moves: list[tuple[str, str, str, int]] = field(default_factory=list)  # (sku, from code, to code, units)

    def summary(self) -> str:
        return "; ".join(f"{units} × {sku} from {source} to {target}" for sku, source, target, units in self.moves)


@dataclass
class ReplanResult:
    """What a run saw and did. ``run`` is None for a dry run and for an empty window."""

    orders_in_window: int = 0
    skipped: int = 0
    moved: list[ReplannedOrder] = field(default_factory=list)
    method: str = ""
    fallback_reason: str = ""
    seconds: float = 0.0
    threshold: float = 0.0
    run: ReplanRun | None = None

    @property
    def saving(self) -> float:
        return sum(order.saving for order in self.moved)


def replan_channels(channel_ids=None) -> list[Channel]:
    """Active channels with re-planning on (of ``channel_ids``, when given)."""
    channels = Channel.objects.filter(replan_enabled=True, is_active=True).order_by("pk")
    if channel_ids is not None:
        channels = channels.filter(pk__in=list(channel_ids))
    return list(channels)


def _arrivals_key(channel_id: int) -> str:
    return f"oms:replan:arrivals:{channel_id}"


def replan_arrival(channel_id: int) -> bool:
    """One more order allocated on a channel with re-planning on (intake calls this once the order
    is committed). Every ``OMS_REPLAN_WINDOW_ORDERS`` such orders the window is full: a run for
    the channel is queued at once rather than at the next beat (0: the beat alone). Counted in
    the cache, shared by every process (so production's Redis); a run of the channel starts the
    count again. Returns whether a run was queued."""
    every = settings.OMS_REPLAN_WINDOW_ORDERS
    if every <= 0:
        return False
    key = _arrivals_key(channel_id)
    try:
        count = cache.incr(key)
    except ValueError:  # the first arrival since the last run (or the count was evicted)
        count = 1 if cache.add(key, 1, timeout=None) else cache.incr(key)  # else: another process started it meanwhile
    if count % every:
        return False
    from ..tasks import orders_replan

    orders_replan.delay(channel_ids=[channel_id], trigger=f"window of {every} orders filled")
    return True


def _window(channels: list[Channel], now) -> Q:
    """Orders that may still be re-planned: allocated (so neither on hold nor started), with no
    fulfillment order cut and no open hold, placed within their channel's release delay."""
    young = Q(pk__in=[])
    for channel in channels:
        young |= Q(channel_id=channel.pk, placed_at__gte=now - timedelta(minutes=channel.release_delay_minutes))
    # Fulfillment sits above orders: the relation is named, not imported.
    held = OrderHold.objects.filter(released_at__isnull=True).values("order_id")
    return Q(status=OrderStatus.ALLOCATED) & young & ~Q(pk__in=held) & Q(fulfillment_orders__isnull=True)


def replan_open_orders(*, channel_ids=None, actor: Actor, threshold: float | None = None, time_limit: float | None = None,
                       dry_run: bool = False) -> ReplanResult:
    """Re-plan the window of open orders and move the reservations that pay.

    Guarantees: only allocated orders of channels with re-planning on, placed within their
    channel's ``release_delay_minutes``, with no open hold and no fulfillment order, are moved;
    an order whose state changed before it was locked is skipped. An order ships afterwards only
    from locations its channel's strategy and stock rule allow, with the same units per line;
    a move is kept only when it saves more than ``threshold`` (``OMS_REPLAN_THRESHOLD``) per
    order it moves. Stock moves through :func:`stock_release` and :func:`stock_reserve` (ledger
    rows, their conditional updates: never more reserved than there is). Each moved order gets
    an audit entry "Re-planned: saved X (plan #id)", the decision in its routing record and
    ``order.reallocated``; the run is a :class:`ReplanRun`. When the exact solver times out the
    heuristic's answer is used (the run says why). ``dry_run``: the same answer, nothing written.
    """
    threshold = settings.OMS_REPLAN_THRESHOLD if threshold is None else threshold
    time_limit = settings.OMS_REPLAN_TIME_LIMIT_SECONDS if time_limit is None else time_limit
    result = ReplanResult(threshold=threshold)
    channels = replan_channels(channel_ids)
    if not channels:
        return result
    if not dry_run:
        cache.delete_many([_arrivals_key(channel.pk) for channel in channels])
    now = timezone.now()
    window = _window(channels, now)
    # The oldest first: they are the nearest to going to the floor.
    candidates = list(Order.objects.filter(window).order_by("placed_at", "pk").values_list("pk", flat=True).distinct()[: settings.OMS_REPLAN_MAX_ORDERS])
    if not candidates:
        return result
    started = time.perf_counter()
    with transaction.atomic():
        locked = orders_lock(candidates)
        still = set(Order.objects.filter(window, pk__in=candidates).values_list("pk", flat=True))
        orders = [order for order in locked if order.pk in still]
        lines = list(OrderLine.objects.filter(order__in=orders, product__isnull=False).select_related("product").order_by("pk"))
        allocations = list(Allocation.objects.filter(line__order__in=orders).order_by("pk"))
        lines_of = _by_order(lines)
        orders = [order for order in orders if _consistent(lines_of.get(order.pk, {}), allocations)]
        result.skipped = len(candidates) - len(orders)
        result.orders_in_window = len(orders)
        if not orders:
            return result
        product_ids = sorted({line.product_id for line in lines})
        # The footprint a release takes (every row of these products), then the sellable rows.
        rows_select(StockLevel, "product", product_ids, lock=True)
        max_age = settings.OMS_CHANNEL_RULES_MAX_AGE
        codes = {channel.pk: channel.code for channel in channels}
        pools = {pk: channel_pool_cached(code, max_age_seconds=max_age) for pk, code in codes.items()}
        stock = StockView(product_ids, also_at={pk for pool in pools.values() for pk in (pool.location_ids or ())})
        delays = {channel.pk: timedelta(minutes=channel.release_delay_minutes) for channel in channels}
        window_orders = [
            _window_order(order, lines_of[order.pk], allocations, stock, pools[order.channel_id], ship_at=max(now, order.placed_at + delays[order.channel_id]))
            for order in orders
        ]
        planned = replan(orders=window_orders, free=stock.available(), sites=stock.sites, threshold=threshold, time_limit=time_limit)
        result.method, result.fallback_reason = planned.method, planned.fallback_reason
        moved = [(order, window_order, answer) for order, window_order, answer in zip(orders, window_orders, planned.orders) if answer.moved]
        skus = {line.product_id: line.sku for line in lines}
        codes_by_location = {site.location_id: site.code for site in stock.sites}
        result.moved = [
            ReplannedOrder(order.pk, order.number, answer.saving, _moves(window_order.current, answer.take, skus, codes_by_location))
            for order, window_order, answer in moved
        ]
        result.seconds = time.perf_counter() - started
        if dry_run:
            return result
        run = ReplanRun.objects.create(
            started_by=actor_fields(actor)["actor_label"], channel_codes=", ".join(sorted({codes[o.channel_id] for o in orders})),
            threshold=threshold, orders_in_window=len(orders), orders_moved=len(moved), orders_skipped=result.skipped,
            saving=result.saving, method=planned.method, fallback_reason=planned.fallback_reason[:200],
        )
        _apply(moved, result.moved, stock, run, lines_of, skus, actor=actor)
        result.seconds = time.perf_counter() - started
        run.seconds = result.seconds
        run.save(update_fields=["seconds"])
        result.run = run
    return result


def _by_order(lines: list[OrderLine]) -> dict[int, dict[int, OrderLine]]:
    """The lines of each order, by line id."""
    grouped: dict[int, dict[int, OrderLine]] = {}
    for line in lines:
        grouped.setdefault(line.order_id, {})[line.pk] = line
    return grouped


def orders_lock(order_ids) -> list[Order]:
    """The orders, locked FOR NO KEY UPDATE in one statement, in id order (the order each order
    service locks its one order in)."""
    return list(Order.objects.select_for_update(no_key=True).filter(pk__in=list(order_ids)).order_by("pk"))


def _consistent(mine: dict[int, OrderLine], allocations: list[Allocation]) -> bool:
    """Every unit of the order (its lines ``mine``) is reserved, and its allocations add up to its
    lines' reservations (anything else is not an order re-planning can reason about: it is left alone)."""
    if not mine or any(line.quantity_open > 0 for line in mine.values()):
        return False
    held: dict[int, int] = {}
    for allocation in allocations:
        if allocation.line_id in mine:
            held[allocation.line_id] = held.get(allocation.line_id, 0) + allocation.quantity
    return all(held.get(pk, 0) == line.quantity_reserved for pk, line in mine.items())


def _window_order(order: Order, mine: dict[int, OrderLine], allocations: list[Allocation], stock: StockView, pool, *, ship_at) -> WindowOrder:
    current: dict[int, dict[int, int]] = {}
    for allocation in allocations:
        line = mine.get(allocation.line_id)
        if line is not None:
            by_product = current.setdefault(allocation.location_id, {})
            by_product[line.product_id] = by_product.get(line.product_id, 0) + allocation.quantity
    needs = [Need(line.pk, line.product_id, line.quantity_reserved, line.product.weight_grams) for line in mine.values() if line.quantity_reserved]
    # The rules intake routes by: the channel's strategy within its stock rule's locations.
    rules = rules_within(routing_rules_for(order.channel_id), pool.location_ids)
    pricer = order_pricer(order, stock.sites)
    return WindowOrder(needs, destination_of(order), current, rules, pricer, on_time_locations(order, pricer, stock.sites, ship_at=ship_at))


def on_time_locations(order: Order, pricer, sites, *, ship_at) -> frozenset[int] | None:
    """The locations a parcel of ``order`` can leave from and still arrive by its promised
    delivery date (None: it has no promise to keep).

    It leaves at ``ship_at`` (when it goes to the floor) or on its promised ship date, whichever
    is later, and travels by the fastest service of the carriers that price the order's lane
    (their cut-offs, working days and transit days). A location no such carrier serves cannot be
    shown to be on time, so it is not on the list: re-planning never moves an order with a
    promise where the carriers' dates do not show it arriving in time (it may keep what it holds)."""
    promise = order.promised_delivery_date
    if promise is None:
        return None
    if pricer is None:
        return frozenset()
    if order.promised_ship_date is not None and order.promised_ship_date > timezone.localtime(ship_at).date():
        ship_at = order.promised_ship_date
    on_time = set()
    for site in sites:
        day = pricer.earliest_delivery(site.location_id, ship_at)
        if day is not None and day <= promise:
            on_time.add(site.location_id)
    return frozenset(on_time)


def _moves(before: dict[int, dict[int, int]], after: dict[int, dict[int, int]], skus: dict[int, str],
           codes: dict[int, str]) -> list[tuple[str, str, str, int]]:
    """What moved, as ``(sku, from, to, units)``: each product's units given up at one location
    paired with those taken at another."""
    moves = []
    for product_id in sorted({p for take in (before, after) for by_product in take.values() for p in by_product}):
        gave = [[loc, by.get(product_id, 0) - after.get(loc, {}).get(product_id, 0)] for loc, by in sorted(before.items())]
        took = [[loc, by.get(product_id, 0) - before.get(loc, {}).get(product_id, 0)] for loc, by in sorted(after.items())]
        gave = [pair for pair in gave if pair[1] > 0]
        took = [pair for pair in took if pair[1] > 0]
        while gave and took:
            units = min(gave[0][1], took[0][1])
            moves.append((skus.get(product_id, str(product_id)), codes.get(gave[0][0], str(gave[0][0])), codes.get(took[0][0], str(took[0][0])), units))
            gave[0][1] -= units
            took[0][1] -= units
            gave = [pair for pair in gave if pair[1] > 0]
            took = [pair for pair in took if pair[1] > 0]
    return moves


def _apply(moved, reports: list[ReplannedOrder], stock: StockView, run: ReplanRun, lines_of: dict[int, dict[int, OrderLine]],
           skus: dict[int, str], *, actor: Actor) -> None:
    """Every moved order gives back what it no longer holds, then takes its new plan (orders of
    one move exchange stock, so all releases come first), and gets its audit and routing."""
    differences = []
    for order, window_order, answer in moved:
        before, after = _units(window_order.current), _units(answer.take)
        released = [StockChange(p, loc, units - after.get((p, loc), 0), reference=order.number) for (p, loc), units in sorted(before.items())
                    if units > after.get((p, loc), 0)]
        reserved = [StockChange(p, loc, units - before.get((p, loc), 0), reference=order.number) for (p, loc), units in sorted(after.items())
                    if units > before.get((p, loc), 0)]
        differences.append((order, released, reserved))
    for order, released, _ in differences:
        if released:
            stock_release(changes=released, actor=actor, reason=f"order {order.number}: re-planned (plan #{run.pk})")
            for change in released:  # the locked rows routing read must say what the ledger says
                stock.levels[(change.product_id, change.location_id)].reserved -= change.quantity
    for order, _, reserved in differences:
        if reserved:
            stock_reserve(changes=reserved, levels=stock.levels, actor=actor)
    by_order = {report.order_id: report for report in reports}
    for order, _, answer in moved:
        Allocation.objects.filter(line__in=list(lines_of[order.pk].values())).delete()
        Allocation.objects.bulk_create(
            [Allocation(line_id=line_id, location_id=loc, quantity=units) for line_id, parts in answer.decision.plan.items() for loc, units in parts if units]
        )
        report = by_order[order.pk]
        record = decision_record(answer.decision, trigger=REPLAN_TRIGGER, outcome=order.status, skus=skus)
        record["replan"] = {"run_id": run.pk, "saving": round(answer.saving, 2)}
        order_touch(order, routing=routing_with(order.routing, record))
        order_event(
            order, OrderEvent.Kind.NOTE, f"Re-planned: {_saved_text(answer)} (plan #{run.pk}): {report.summary()}", actor=actor,
            data={"replan": {
                "run_id": run.pk, "saving": round(answer.saving, 2), "move_saving": round(answer.move_saving, 2),
                "moves": [{"sku": sku, "from": source, "to": target, "quantity": units} for sku, source, target, units in report.moves],
            }},
        ).save()
        order_event_publish(
            order, REALLOCATED_EVENT, trigger=REPLAN_TRIGGER, saving=round(answer.saving, 2), plan=run.pk,
            reserved=[{"sku": sku, "location": target, "quantity": units} for sku, _, target, units in report.moves],
        )


def _saved_text(answer) -> str:
    if answer.saving >= 0:
        return f"saved {answer.saving:.2f}"
    # It gave way so that another order of its move could ship for less.
    return f"gave way, its move saved {answer.move_saving:.2f}"


def _units(take: dict[int, dict[int, int]]) -> dict[tuple[int, int], int]:
    return {(p, loc): units for loc, by_product in take.items() for p, units in by_product.items() if units > 0}

