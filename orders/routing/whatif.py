"""Replaying past orders under another routing configuration (``manage.py routing_whatif``).

Each order is routed again on its own: its lines and destination against today's available
stock plus what the order itself holds (it would not compete with itself). The replay's winner
is compared with the decision stored when the order was taken in. Read-only: nothing is
reserved or written.

Daily capacity is replayed as the live engine applies it. Orders are replayed oldest first, and
each counts against the day it was placed (local date of ``placed_at``). A location with a
``daily_order_capacity`` starts each day with the orders it really took that day from outside
the replay (other channels, and orders of this channel left out by ``since`` or ``limit``), as
their stored intake decisions record them; every replayed order the what-if sends there adds
one. Once a location's count reaches its capacity it is at capacity for the rest of that day,
exactly as :class:`~orders.services.allocation.StockView` marks it live. Starting from zero
instead would pretend the replayed channel had the locations to itself.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db.models import Prefetch
from django.utils import timezone

from django.conf import settings

from inventory.models import Location, StockLevel
from inventory.selectors import channel_allowances, channel_pool_cached

from ..models import Allocation, Channel, Order, OrderLine
from .config import routing_rules_for, rules_within
from .engine import TERMS, Need, RoutingRules, Site, Weights, decision_beyond_allowance, needs_within, route
from .explain import first_decision
from .prices import order_pricer


@dataclass
class ReplayedOrder:
    number: str
    before: list[str]
    after: list[str]
    cost_before: float
    cost_after: float
    shipments_before: int
    shipments_after: int

    @property
    def changed(self) -> bool:
        return sorted(self.before) != sorted(self.after)


@dataclass
class WhatIfReport:
    channel: str
    rules: RoutingRules
    replayed: list[ReplayedOrder] = field(default_factory=list)
    without_decision: int = 0
    not_covered: int = 0
    # Capacity (locations with a daily_order_capacity only): the replay's days on which each
    # location was full, and the replayed orders still sent to a full location (nothing better).
    full_days: dict[str, list[date]] = field(default_factory=dict)
    sent_to_full: int = 0

    def total(self, name: str) -> float:
        return sum(getattr(order, name) for order in self.replayed)

    def splits(self, when: str) -> int:
        return sum(1 for order in self.replayed if getattr(order, f"shipments_{when}") > 1)

    @property
    def changed(self) -> list[ReplayedOrder]:
        return [order for order in self.replayed if order.changed]


def rules_with(base: RoutingRules, *, weights: dict[str, float] | None = None, may_split: bool | None = None) -> RoutingRules:
    """``base`` with some weights and the split rule replaced."""
    changed = replace(base.weights, **(weights or {}))
    return replace(base, name=f"{base.name} (what-if)", weights=changed, may_split=base.may_split if may_split is None else may_split)


def parse_weights(text: str) -> dict[str, float]:
    """``"cost=1,split=5"`` as ``{"cost": 1.0, "split": 5.0}``; raises ValueError saying what is wrong."""
    weights = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"{part!r} is not name=value (e.g. split=5).")
        if name not in TERMS:
            raise ValueError(f"Unknown weight {name!r}; the weights are {', '.join(TERMS)}.")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"Weight {name} must be a number, not {value.strip()!r}.") from None
        if number < 0 or number != number or number == float("inf"):
            raise ValueError(f"Weight {name} must be zero or more.")
        weights[name] = number
    return weights


def routing_whatif(*, channel: Channel, rules: RoutingRules, since: date | None = None, limit: int = 1000) -> WhatIfReport:
    """Replay up to ``limit`` of the channel's latest orders (placed since ``since``) under
    ``rules``, oldest first, with each capped location's orders per day counted as it goes."""
    report = WhatIfReport(channel=channel.code, rules=rules)
    # As live intake: the channel's stock rule limits the locations and the units it may take.
    pool = channel_pool_cached(channel.code, max_age_seconds=settings.OMS_CHANNEL_RULES_MAX_AGE)
    rules = rules_within(rules, pool.location_ids)
    orders = Order.objects.filter(channel=channel).order_by("-placed_at", "-id")
    if since is not None:
        orders = orders.filter(placed_at__gte=_start_of(since))
    lines = OrderLine.objects.filter(product__isnull=False).select_related("product").order_by("line_number")
    only = ("id", "number", "routing", "placed_at", "destination_latitude", "destination_longitude")
    orders = list(orders.prefetch_related(Prefetch("lines", queryset=lines)).only(*only)[:limit])
    orders.reverse()  # the latest ``limit``, replayed in the order they were placed
    product_ids = {line.product_id for order in orders for line in order.lines.all()}
    held: dict[int, dict[tuple[int, int], int]] = {}
    for order_id, product_id, location_id, quantity in Allocation.objects.filter(line__order__in=orders).values_list(
        "line__order_id", "line__product_id", "location_id", "quantity"
    ):
        mine = held.setdefault(order_id, {})
        mine[(product_id, location_id)] = mine.get((product_id, location_id), 0) + quantity
    available = {}
    for level in StockLevel.objects.filter(product_id__in=product_ids, location__is_active=True, location__can_ship=True):
        available[(level.product_id, level.location_id)] = max(level.available, 0)
    locations = list(Location.objects.filter(is_active=True, can_ship=True))
    sites = [Site(loc.pk, loc.latitude, loc.longitude, loc.priority, loc.code, loc.kind, country=str(loc.country), postal_code=loc.postal_code) for loc in locations]
    codes = {site.location_id: site.code for site in sites}
    capacity = {loc.pk: loc.daily_order_capacity for loc in locations if loc.daily_order_capacity is not None}
    loads = _loads_outside(orders, capacity, codes) if capacity and orders else {}
    for order in orders:
        stored = first_decision(order.routing)
        winner = stored["candidates"][stored["winner"]] if stored and stored.get("winner") is not None else None
        if winner is None:
            report.without_decision += 1
            continue
        mine = held.get(order.pk, {})
        theirs = {key: units + mine.get(key, 0) for key, units in available.items()}
        for key, units in mine.items():
            theirs.setdefault(key, units)
        needs = [Need(line.pk, line.product_id, line.quantity, line.product.weight_grams) for line in order.lines.all()]
        destination = (order.destination_latitude, order.destination_longitude) if order.destination_latitude is not None else None
        day = timezone.localdate(order.placed_at)
        full = {pk for pk, most in capacity.items() if loads.get((day, pk), 0) >= most}
        today_sites = [replace(site, at_capacity=True) if site.location_id in full else site for site in sites] if full else sites
        beyond = {}
        if pool.limited:
            needs, beyond = needs_within(needs, channel_allowances(pool, theirs))
        decision = route(needs=needs, available=theirs, sites=today_sites, destination=destination, rules=rules, pricer=order_pricer(order, sites))
        if beyond:
            decision_beyond_allowance(decision, beyond, channel=channel.code)
        if decision.winner is not None and capacity:
            # As live: every capped location the winner ships from took one more order that day.
            report.sent_to_full += any(pk in full for pk in decision.winner.take)
            for pk in decision.winner.take:
                if pk in capacity:
                    loads[(day, pk)] = loads.get((day, pk), 0) + 1
        if decision.winner is None or not decision.covered:
            report.not_covered += 1
            continue
        report.replayed.append(
            ReplayedOrder(
                number=order.number, before=list(winner["locations"]), after=[codes[loc] for loc in decision.winner.take],
                cost_before=winner["estimated_cost"], cost_after=round(decision.winner.estimated_cost, 2),
                shipments_before=winner["shipments"], shipments_after=decision.winner.shipments,
            )
        )
    for (day, pk), count in sorted(loads.items()):
        if count >= capacity[pk]:
            report.full_days.setdefault(codes[pk], []).append(day)
    return report


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock.min))


def _loads_outside(replayed: list[Order], capacity: dict[int, int], codes: dict[int, str]) -> dict[tuple[date, int], int]:
    """Orders each capped location took per day, over the replay's days, from orders not being
    replayed: what their stored intake decisions shipped from (a decision reserving nothing took
    no capacity)."""
    capped = {codes[pk]: pk for pk in capacity}
    days = {timezone.localdate(order.placed_at) for order in replayed}
    loads: dict[tuple[date, int], int] = defaultdict(int)
    others = (
        Order.objects.filter(placed_at__gte=_start_of(min(days)), placed_at__lt=_start_of(max(days) + timedelta(days=1)))
        .exclude(pk__in=[order.pk for order in replayed])
        .values_list("placed_at", "routing")
    )
    for placed_at, routing in others.iterator(chunk_size=2000):
        stored = first_decision(routing)
        if not stored or stored.get("winner") is None:
            continue
        day = timezone.localdate(placed_at)
        if day not in days:
            continue
        for code in stored["candidates"][stored["winner"]]["locations"]:
            if code in capped:
                loads[(day, capped[code])] += 1
    return dict(loads)


def channel_rules(channel: Channel) -> RoutingRules:
    """The strategy the channel routes with today (the starting point of a what-if)."""
    return routing_rules_for(channel.pk)


__all__ = ["ReplayedOrder", "WhatIfReport", "Weights", "channel_rules", "parse_weights", "routing_whatif", "rules_with"]
