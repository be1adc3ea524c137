"""The replenishment suggestions list: what to buy or move, per SKU x stocking location.

``replenishment_run`` reads everything in a constant number of queries (whatever the number of
SKUs), plans each SKU x location with the policy (``policy.py``), suggests transfers from
overstocked locations first (``transfers_plan``) and buys what is still missing, and stores the run
and its lines in one transaction. ``suggestions_accept`` turns lines into draft purchase orders and
stock transfers; ``suggestions_dismiss`` sets lines aside.

What it reads, per SKU x location:

- **Stocking locations**: active warehouses that can ship. Stores are left out: their shelves are
  filled from the warehouses by the store's own routine, and their sales are not in the
  warehouses' forecast; dropshippers hold no stock of ours.
- **On hand, reserved, incoming** from ``StockLevel``. ``incoming`` already holds every *sent*
  purchase order's open quantity (``purchase_order_send`` posts each line to ``incoming`` on the
  ledger, receipts and closing take it off) and transfers on the way, so the **open purchase
  orders** figure counts only *draft* POs (not yet on ``incoming``): nothing is counted twice.
- **Backorders**: units of lines of backordered orders not yet reserved or shipped. A line with an
  allocation waits at that allocation's location; a line without one waits at the first stocking
  location (by priority, then code), where the allocator would look first.
- **Forecast**: the latest finished forecast run's daily series for the SKU x location, from today
  on; when the horizon (lead time + review period) goes past the forecast, the mean of its last
  seven days carries on. A SKU whose forecast has no per-location series uses the SKU-wide series
  at its first stocking location. The daily error σ_d is the backtest's (MASE × scale is the mean
  absolute error; × √(π/2) turns it into a standard deviation); without a backtest, the width of
  the first day's prediction interval.
- **Supplier**: the preferred ``SupplierProduct`` (or the only one): lead time (the product's or
  the supplier's), the supplier's lead time spread, pack size, the product's minimum quantity, and
  the supplier's minimum order value, topped up across the lines of one PO (supplier x location)
  with ``order_minimum_top_up``. A SKU without a supplier is planned with the supplier default lead
  time (7 days) and its line says so; accepting it is refused until a supplier is added.
- **Demand history**: each SKU x location's daily demand over the last 182 days from the ledger,
  read as the nightly forecast reads it (``forecasting.series.demand_series_read``, two queries),
  stockout days left out; the SKU-wide history where the SKU-wide forecast is used.
- **Fill rate**: the ABC class's target (``OMS_REPLENISHMENT_SERVICE_LEVELS``); the review period
  is ``OMS_REPLENISHMENT_REVIEW_DAYS``. With ``OMS_REPLENISHMENT_PLANNING = "class"`` (the
  default) each class is planned as a whole (``class_levels_plan``, ``allocation="inventory"``):
  the class's pairs together reach its fill rate with the fewest units on hand, steady SKUs
  planned above it and lumpy ones below, each line recording the fill planned for it and the
  class's target; ``"sku"`` plans each pair alone for the class's fill rate.
"""

from __future__ import annotations

import datetime
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone
import numpy as np

from inventory.models import Location, Product, StockLevel
from inventory.models_purchasing import PurchaseOrderLine, PurchaseOrderStatus, Supplier, SupplierProduct
from inventory.purchasing import purchase_orders_draft
from inventory.selectors_purchasing import purchase_order_shortfall
from inventory.services import stock_set_safety, stock_transfer_create
from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, NotFound
from orders.models import Allocation, OrderLine, OrderStatus

from ..forecasting.classify import demand_classify
from ..forecasting.series import demand_series_read
from ..models_forecasts import ForecastPoint, ForecastRun, ForecastSeries
from ..models_replenishment import ReplenishmentRun, SuggestionLine
from . import discrete
from .policy import (
    Levels,
    LocationStock,
    OrderLine as PolicyOrderLine,
    OrderRules,
    PlanningInput,
    PolicyInputError,
    StockFigures,
    class_levels_plan,
    levels_plan,
    order_minimum_top_up,
    service_level_for,
    suggestion_build,
    transfers_plan,
)

DEFAULT_LEAD_TIME_DAYS = 7
CARRY_DAYS = 7  # days at the forecast's end whose mean carries on past it
MAX_IDS = 1000
PLANNING_MODES = ("class", "sku")


def stocking_locations() -> list[Location]:
    """Active warehouses that can ship, the first one first (priority, then code)."""
    return list(Location.objects.filter(is_active=True, can_ship=True, kind=Location.Kind.WAREHOUSE).order_by("priority", "code"))


def _forecasts(product_ids: list[int], today) -> tuple[ForecastRun | None, dict, dict]:
    """Daily forecast means from ``today`` and σ_d per ``(product_id, location_id or None)``."""
    run = ForecastRun.objects.filter(status=ForecastRun.Status.FINISHED).order_by("-as_of", "-finished_at", "-pk").first()
    if run is None:
        return None, {}, {}
    series = {s.pk: s for s in ForecastSeries.objects.filter(run=run, frequency="daily", product_id__in=product_ids)}
    points: dict[int, list[ForecastPoint]] = defaultdict(list)
    for point in ForecastPoint.objects.filter(series_id__in=list(series)).order_by("series_id", "date"):
        if point.date >= today:
            points[point.series_id].append(point)
    z = statistics.NormalDist().inv_cdf((1 + run.level / 100) / 2)
    means, errors = {}, {}
    for pk, row in series.items():
        got = points.get(pk, [])
        key = (row.product_id, row.location_id)
        means[key] = [max(0.0, p.mean) for p in got]
        if row.mase is not None:
            errors[key] = row.mase * row.scale * math.sqrt(math.pi / 2)
        elif got:
            errors[key] = max(0.0, (got[0].hi - got[0].lo) / (2 * z))
        else:
            errors[key] = 0.0
    return run, means, errors


def _daily(means: list[float], days: float) -> list[float]:
    need = math.ceil(days)
    if len(means) >= need:
        return means[:need]
    tail = means[-CARRY_DAYS:]
    carry = sum(tail) / len(tail) if tail else 0.0
    return means + [carry] * (need - len(means))


def _backorders(product_ids: list[int], first_location_id: int | None) -> dict[tuple[int, int], int]:
    first_allocation = Allocation.objects.filter(line_id=OuterRef("pk")).order_by("pk").values("location_id")[:1]
    rows = (
        OrderLine.objects.filter(order__status=OrderStatus.BACKORDERED, product_id__in=product_ids)
        .annotate(waiting_at=Subquery(first_allocation))
        .values("product_id", "waiting_at", "quantity", "quantity_reserved", "quantity_shipped")
    )
    found: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        short = row["quantity"] - row["quantity_reserved"] - row["quantity_shipped"]
        where = row["waiting_at"] or first_location_id
        if short > 0 and where is not None:
            found[(row["product_id"], where)] += short
    return found


def _offers(product_ids: list[int]) -> dict[int, SupplierProduct]:
    choices: dict[int, list[SupplierProduct]] = defaultdict(list)
    for offer in SupplierProduct.objects.filter(product_id__in=product_ids, supplier__is_active=True).select_related("supplier").order_by("pk"):
        choices[offer.product_id].append(offer)
    chosen = {}
    for product_id, offers in choices.items():
        pick = next((o for o in offers if o.is_preferred), None) or (offers[0] if len(offers) == 1 else None)
        if pick is not None:
            chosen[product_id] = pick
    return chosen


def demand_histories(product_ids: list[int], today) -> dict[tuple[int, int | None], list[float]]:
    """Each SKU x location's (and each SKU's, all locations together) daily demand over the
    ``discrete.HISTORY_DAYS`` days before ``today``, read as the nightly forecast reads it
    (``demand_series_read``: units shipped, two queries whatever the number of SKUs). Stockout days
    are left out: what shipped on them is a lower bound of what was wanted, and the compound model
    (``discrete.py``) takes the days it is given as equally likely, so a missing day is dropped
    rather than counted as a day without demand."""
    if not product_ids:
        return {}
    as_of = today - datetime.timedelta(days=1)
    found = demand_series_read(product_ids=product_ids, as_of=as_of, history_days=discrete.HISTORY_DAYS)
    return {(s.product_id, s.location_id): s.demand[s.observed].tolist() for s in found}


def _demand_pattern(history: list[float] | None) -> str:
    """Smooth, erratic, intermittent or lumpy (``demand_classify``); blank without demand."""
    found = demand_classify(np.asarray(history, dtype=float)) if history else None
    return found.demand_class if found else ""


def planning_mode() -> str:
    """``OMS_REPLENISHMENT_PLANNING``: "class" (each ABC class planned as a whole for its fill rate
    with the least stock) or "sku" (each SKU x location planned alone for its class's fill rate)."""
    mode = settings.OMS_REPLENISHMENT_PLANNING
    if mode not in PLANNING_MODES:
        raise PolicyInputError("planning", f"OMS_REPLENISHMENT_PLANNING must be one of {', '.join(PLANNING_MODES)}, not {mode!r}")
    return mode


def _levels(pairs: list[tuple[str, PlanningInput]], targets: dict[str, float], mode: str) -> list[Levels]:
    """The levels of every ``(abc_class, plan)``: per SKU (``levels_plan``), or per ABC class with
    one ``class_levels_plan`` call for all the class's SKU x location pairs."""
    if mode == "sku":
        return [levels_plan(plan) for _, plan in pairs]
    result: list[Levels | None] = [None] * len(pairs)
    members: dict[str, list[int]] = defaultdict(list)
    for i, (abc_class, _) in enumerate(pairs):
        members[abc_class].append(i)
    for abc_class, indexes in sorted(members.items()):
        planned = class_levels_plan([pairs[i][1] for i in indexes], targets[abc_class], allocation="inventory")
        for i, levels in zip(indexes, planned, strict=True):
            result[i] = levels
    return result


def suggestions_compute(*, products: Sequence[Product], locations: Sequence[Location], today=None) -> tuple[ForecastRun | None, list[SuggestionLine], dict]:
    """Unsaved suggestion lines for ``products`` x ``locations`` (a constant number of queries)
    and the safety stock planned per ``(product_id, location_id)``.

    Every SKU x location is planned first (``OMS_REPLENISHMENT_PLANNING``: by default each ABC
    class as a whole, ``class_levels_plan`` over all its pairs with their demand history, as
    ``bench/replenishment.py`` measures it); then, per SKU, transfers and buys from those levels."""
    today = today or timezone.localdate()
    mode = planning_mode()
    product_ids = [p.pk for p in products]
    location_ids = [loc.pk for loc in locations]
    first = locations[0].pk if locations else None
    run, means, errors = _forecasts(product_ids, today)
    histories = demand_histories(product_ids, today) if mode == "class" else {}
    levels_rows = {(r.product_id, r.location_id): r for r in StockLevel.objects.filter(product_id__in=product_ids, location_id__in=location_ids)}
    drafts = {
        (r["product_id"], r["purchase_order__location_id"]): r["units"]
        for r in PurchaseOrderLine.objects.filter(purchase_order__status=PurchaseOrderStatus.DRAFT, product_id__in=product_ids,
                                                  purchase_order__location_id__in=location_ids)
        .values("product_id", "purchase_order__location_id").annotate(units=Sum(F("quantity_ordered")))
    }
    waiting = _backorders(product_ids, first)
    offers = _offers(product_ids)
    review = float(settings.OMS_REPLENISHMENT_REVIEW_DAYS)
    fill_rates = settings.OMS_REPLENISHMENT_SERVICE_LEVELS
    targets = {product.abc_class: service_level_for(product.abc_class, fill_rates) for product in products}
    # Every SKU x location's plan and stock first: a class is planned over all its pairs at once.
    entries = []
    for product in products:
        offer = offers.get(product.pk)
        lead = float(offer.effective_lead_time_days if offer else DEFAULT_LEAD_TIME_DAYS)
        spread = float(offer.supplier.lead_time_spread_days or 0) if offer else 0.0
        pack = offer.effective_pack_size if offer else 1
        minimum = offer.minimum_quantity if offer else 0
        smallest = max(pack, -(-minimum // pack) * pack)
        per_location = any((product.pk, loc_id) in means for loc_id in location_ids)
        for loc in locations:
            key = (product.pk, loc.pk) if per_location else ((product.pk, None) if loc.pk == first else None)
            daily = _daily(means.get(key, []), lead + review) if key in means else [0.0] * math.ceil(lead + review)
            history = histories.get(key) if key is not None else None
            plan = PlanningInput(daily_forecast=daily, forecast_error=errors.get(key, 0.0), lead_time_days=lead, review_period_days=review,
                                 fill_rate=targets[product.abc_class], lead_time_spread_days=spread, minimum_order=smallest, demand_history=history)
            level = levels_rows.get((product.pk, loc.pk))
            stock = StockFigures(
                on_hand=level.on_hand if level else 0, reserved=level.reserved if level else 0,
                backorders=waiting.get((product.pk, loc.pk), 0), incoming=level.incoming if level else 0,
                open_purchase_orders=drafts.get((product.pk, loc.pk), 0),
            )
            movable = max(0, (level.on_hand - level.reserved - level.damaged) if level else 0)
            entries.append((product, loc, plan, stock, movable, _demand_pattern(history)))
    planned_levels = _levels([(product.abc_class, plan) for product, _, plan, *_ in entries], targets, mode)
    by_product: dict[int, dict] = defaultdict(dict)
    safety: dict[tuple[int, int], int] = {}
    for (product, loc, plan, stock, movable, pattern), lv in zip(entries, planned_levels, strict=True):
        by_product[product.pk][loc.pk] = (plan, lv, stock, movable, pattern)
        safety[(product.pk, loc.pk)] = max(0, round(lv.safety_stock))
    by_pk = {loc.pk: loc for loc in locations}
    lines: list[SuggestionLine] = []
    for product in products:
        offer = offers.get(product.pk)
        rules = OrderRules(pack_size=offer.effective_pack_size if offer else 1, minimum_units=offer.minimum_quantity if offer else 0)
        planned = by_product[product.pk]
        explain = {"target": targets[product.abc_class]}
        moves, _ = transfers_plan(
            LocationStock(location=str(pk), position=stock.position, reorder_point=lv.reorder_point, order_up_to=lv.order_up_to, movable=movable)
            for pk, (plan, lv, stock, movable, _) in planned.items()
        )
        moved_in: dict[int, int] = defaultdict(int)
        for move in moves:
            destination, source = int(move.destination), int(move.source)
            moved_in[destination] += move.quantity
            plan, lv, stock, _, pattern = planned[destination]
            lines.append(_line(product, by_pk[destination], plan, lv, stock, kind=SuggestionLine.Kind.TRANSFER, quantity=move.quantity,
                               from_location=by_pk[source], offer=offer, raw=move.quantity, steps=(), pattern=pattern, **explain))
        for pk, (plan, lv, stock, _, pattern) in planned.items():
            after = StockFigures(on_hand=stock.on_hand, reserved=stock.reserved, backorders=stock.backorders,
                                 incoming=stock.incoming + moved_in[pk], open_purchase_orders=stock.open_purchase_orders)
            built = suggestion_build(plan=plan, stock=after, rules=rules, levels=lv)
            if built.quantity > 0:
                steps = list(built.rounding) + ([] if offer else [f"no supplier: lead time assumed {DEFAULT_LEAD_TIME_DAYS} days; add a supplier to order"])
                line = _line(product, by_pk[pk], plan, lv, stock, kind=SuggestionLine.Kind.BUY, quantity=built.quantity, from_location=None,
                             offer=offer, raw=built.raw_quantity, steps=steps, pattern=pattern, **explain)
                line.transfers_in = moved_in[pk]
                lines.append(line)
    _minimum_values(lines, offers)
    return run, lines, safety


def _line(product, location, plan, lv, stock, *, kind, quantity, from_location, offer, raw, steps, target, pattern) -> SuggestionLine:
    return SuggestionLine(
        product=product, location=location, from_location=from_location, supplier=offer.supplier if offer and kind == "buy" else None,
        kind=kind, abc_class=product.abc_class, quantity=quantity, on_hand=stock.on_hand, reserved=stock.reserved, incoming=stock.incoming,
        open_purchase_orders=stock.open_purchase_orders, backorders=stock.backorders, position=stock.position,
        forecast_horizon=lv.horizon_demand, forecast_lead_time=lv.lead_time_demand, forecast_error=plan.forecast_error,
        lead_time_days=plan.lead_time_days, lead_time_spread_days=plan.lead_time_spread_days, review_period_days=plan.review_period_days,
        fill_rate=lv.fill_rate, target_fill_rate=target, demand_pattern=pattern, distribution=lv.distribution, safety_stock=lv.safety_stock, reorder_point=lv.reorder_point,
        order_up_to=lv.order_up_to, raw_quantity=raw, rounding="\n".join(steps),
        unit_cost=offer.unit_cost if offer and kind == "buy" else None,
    )


def _minimum_values(lines: list[SuggestionLine], offers: dict[int, SupplierProduct]) -> None:
    """Lift each future PO (supplier x location) to the supplier's minimum order value."""
    groups: dict[tuple[int, int], list[SuggestionLine]] = defaultdict(list)
    for line in lines:
        if line.kind == SuggestionLine.Kind.BUY and line.supplier_id and line.supplier.minimum_order_value:
            groups[(line.supplier_id, line.location_id)].append(line)
    for group in groups.values():
        supplier = group[0].supplier
        if any(not line.unit_cost or line.unit_cost <= 0 for line in group):
            continue
        order = [
            PolicyOrderLine(key=str(i), quantity=line.quantity, pack_size=offers[line.product_id].effective_pack_size, unit_cost=line.unit_cost,
                            position_after=line.position + line.transfers_in + line.quantity,
                            daily_demand=line.forecast_horizon / max(line.lead_time_days + line.review_period_days, 1))
            for i, line in enumerate(group)
        ]
        quantities, steps = order_minimum_top_up(order, Decimal(supplier.minimum_order_value).quantize(Decimal("0.01")))
        for i, line in enumerate(group):
            if quantities[str(i)] != line.quantity:
                added = [step.split(": ", 1)[1] for step in steps if step.startswith(f"{i}: ")]
                line.rounding = "\n".join([*filter(None, [line.rounding]), f"{line.quantity} raised to {quantities[str(i)]}: {added[0]}"])
                line.quantity = quantities[str(i)]


def replenishment_run(*, actor: Actor, write_safety_stock: bool | None = None, skus: Iterable[str] | None = None, today=None) -> ReplenishmentRun:
    """Compute and store the suggestions for every active SKU (or ``skus``) x stocking location.
    With ``write_safety_stock`` (default ``OMS_REPLENISHMENT_WRITE_SAFETY_STOCK``) the planned
    safety stock (never below zero) is written to each stock level through ``stock_set_safety``."""
    started = time.monotonic()
    write = settings.OMS_REPLENISHMENT_WRITE_SAFETY_STOCK if write_safety_stock is None else bool(write_safety_stock)
    products = Product.objects.filter(is_active=True).order_by("pk")
    if skus is not None:
        wanted = sorted(set(skus))
        products = products.filter(sku__in=wanted)
        missing = sorted(set(wanted) - {p.sku for p in products})
        if missing:
            raise NotFound(f"Unknown or inactive SKU(s): {', '.join(missing)}.", code="unknown_sku", fields={"skus": [f"Unknown SKU {s!r}." for s in missing]})
    products = list(products)
    locations = stocking_locations()
    try:
        planning = planning_mode()
        forecast, lines, safety = suggestions_compute(products=products, locations=locations, today=today)
    except PolicyInputError as error:
        raise InvalidInput(f"The suggestions cannot be planned: {error.message}", fields={error.code: [error.message]}) from None
    who = actor_fields(actor)
    with transaction.atomic():
        run = ReplenishmentRun.objects.create(
            actor_label=who["actor_label"], created_by=who["actor"], forecast_run_id=forecast.pk if forecast else None,
            line_count=len(lines), buy_count=sum(1 for line in lines if line.kind == "buy"),
            transfer_count=sum(1 for line in lines if line.kind == "transfer"), write_safety_stock=write, planning=planning,
        )
        for line in lines:
            line.run = run
        SuggestionLine.objects.bulk_create(lines)
        written = 0
        if write:
            by_pk = {p.pk: p for p in products}
            codes = {loc.pk: loc.code for loc in locations}
            for (product_id, location_id), units in sorted(safety.items()):
                if stock_set_safety(sku=by_pk[product_id].sku, location=codes[location_id], safety_stock=units, actor=actor) is not None:
                    written += 1
        run.finished_at = timezone.now()
        run.duration_seconds = time.monotonic() - started
        run.safety_stock_written = written
        run.save(update_fields=["finished_at", "duration_seconds", "safety_stock_written"])
    return run


# --- accepting and dismissing --------------------------------------------------------------------


def _ids(line_ids) -> list[int]:
    if not isinstance(line_ids, list | tuple) or not line_ids:
        raise InvalidInput("Give the ids of the suggestion lines as a non-empty list.", fields={"ids": ["A non-empty list of line ids."]})
    if len(line_ids) > MAX_IDS:
        raise InvalidInput(f"At most {MAX_IDS} lines at a time.", fields={"ids": [f"At most {MAX_IDS} ids."]})
    bad = [repr(i) for i in line_ids if isinstance(i, bool) or not isinstance(i, int) or not 0 < i < 2**63]
    if bad:
        raise InvalidInput(f"Line ids are positive whole numbers; not {', '.join(bad[:5])}.", fields={"ids": ["Positive whole numbers only."]})
    return sorted(set(line_ids))


def _locked(ids: list[int], *, refused: str, verb: str) -> list[SuggestionLine]:
    """The lines, locked in pk order; unknown ids and lines in the ``refused`` status are named."""
    lines = list(SuggestionLine.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {line.pk for line in lines})
    if missing:
        raise NotFound(f"Unknown suggestion line(s): {', '.join(map(str, missing))}.", code="unknown_line",
                       fields={"ids": [f"No suggestion line {i}." for i in missing]})
    stuck = [line.pk for line in lines if line.status == refused]
    if stuck:
        raise DomainError(f"{refused.capitalize()} line(s) {', '.join(map(str, stuck))} cannot be {verb}; nothing was changed.",
                          code=refused, fields={"ids": [f"Line {i} is {refused}." for i in stuck]})
    return lines


def suggestions_accept(*, line_ids: Sequence[int], actor: Actor) -> dict:
    """Turn open lines into draft purchase orders (buy lines, one PO per supplier x location via
    ``purchase_orders_draft``) and stock transfers (one per source x destination), and mark them
    accepted with what they became. Lines already accepted are left as they are (accepting twice
    changes nothing); a dismissed line is refused. All or nothing: one transaction."""
    ids = _ids(line_ids)
    who = actor_fields(actor)["actor_label"]
    with transaction.atomic():
        lines = _locked(ids, refused=SuggestionLine.Status.DISMISSED, verb="accepted")
        todo = [line for line in lines if line.status == SuggestionLine.Status.OPEN]
        if not todo:
            return {"accepted": [], "already_accepted": [line.pk for line in lines], "purchase_orders": [], "transfers": [], "below_minimum": {}}
        related = {p.pk: p for p in Product.objects.filter(pk__in={line.product_id for line in todo})}
        places = {loc.pk: loc for loc in Location.objects.filter(pk__in={line.location_id for line in todo} | {line.from_location_id for line in todo})}
        codes = {s.pk: s.code for s in Supplier.objects.filter(pk__in={line.supplier_id for line in todo if line.supplier_id})}
        now = timezone.now()
        buys = [line for line in todo if line.kind == SuggestionLine.Kind.BUY]
        orders = []
        if buys:
            orders = purchase_orders_draft(
                lines=[(related[line.product_id].sku, places[line.location_id].code, line.quantity, codes.get(line.supplier_id)) for line in buys],
                actor=actor,
            )
            where = {}
            for po in orders:
                for po_line in po.lines.all():
                    where[(po_line.product_id, po.location_id)] = po
            for line in buys:
                line.purchase_order = where[(line.product_id, line.location_id)]
        moves: dict[tuple[int, int], list[SuggestionLine]] = defaultdict(list)
        for line in todo:
            if line.kind == SuggestionLine.Kind.TRANSFER:
                moves[(line.from_location_id, line.location_id)].append(line)
        transfers = []
        for (source, destination), group in sorted(moves.items()):
            transfer = stock_transfer_create(
                source=places[source].code, destination=places[destination].code,
                lines=[(related[line.product_id].sku, line.quantity) for line in group], reference=f"Replenishment run {group[0].run_id}", actor=actor,
            )
            transfers.append(transfer)
            for line in group:
                line.transfer = transfer
        for line in todo:
            line.status, line.decided_at, line.decided_by = SuggestionLine.Status.ACCEPTED, now, who
        SuggestionLine.objects.bulk_update(todo, ["status", "decided_at", "decided_by", "purchase_order", "transfer"])
    return {
        "accepted": [line.pk for line in todo],
        "already_accepted": [line.pk for line in lines if line not in todo],
        "purchase_orders": [po.number for po in orders],
        "transfers": [t.number for t in transfers],
        # Drafts below their supplier's minimum order: flagged with what is missing, never rounded up.
        "below_minimum": {po.number: shortfall.note for po in orders if (shortfall := purchase_order_shortfall(po, po.lines.all()))},
    }




def suggestions_dismiss(*, line_ids: Sequence[int], actor: Actor) -> list[int]:
    """Set open lines aside (dismissing a dismissed line changes nothing); accepted lines are
    refused, naming them. Returns the ids dismissed now."""
    ids = _ids(line_ids)
    who = actor_fields(actor)["actor_label"]
    with transaction.atomic():
        lines = _locked(ids, refused=SuggestionLine.Status.ACCEPTED, verb="dismissed")
        todo = [line.pk for line in lines if line.status == SuggestionLine.Status.OPEN]
        SuggestionLine.objects.filter(pk__in=todo).update(status=SuggestionLine.Status.DISMISSED, decided_at=timezone.now(), decided_by=who)
    return todo


NIGHTLY_ACTOR = "job:replenishment_nightly"


def replenishment_nightly() -> ReplenishmentRun:
    """The nightly run: once per local day (a second call returns the day's run)."""
    today = timezone.localdate()
    done = ReplenishmentRun.objects.filter(actor_label=NIGHTLY_ACTOR, created_at__date=today, finished_at__isnull=False).first()
    return done or replenishment_run(actor=NIGHTLY_ACTOR)
