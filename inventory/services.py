"""Every change to stock. Each service runs in one transaction, locks the stock rows it changes
in primary-key order (FOR NO KEY UPDATE, so foreign-key checks of concurrent inserts never
wait on it) and writes one ledger row per counter change, so counters always equal the ledger.

Services take plain data (SKU codes, location codes, ids); they never see an order.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.config_audit import config_change_record, config_changes_between, config_values
from oms.models import ConfigChange
from oms.versions import ExpectedVersion, version_check
from oms.db import for_update_clause, rows_insert, rows_select, statement_then
from oms.errors import DomainError, InsufficientStock, InvalidInput, NotFound
from oms.events import event_record
from oms.money import is_currency, parse_amount

from .changes import stock_changed
from .models import Bin, Location, Product, StockLevel, StockMovement, Transfer, TransferLine
from .selectors import available_to_promise

STOCK_AVAILABLE_EVENT = "stock.available_increased"
LOW_STOCK_EVENT = "stock.low"


@dataclass(frozen=True)
class StockChange:
    """Plain-data request to hold or release ``quantity`` of a product at a location."""

    product_id: int
    location_id: int
    quantity: int
    reference: str = ""


# --- lookups shared by the services --------------------------------------------------------


def product_get(sku: str) -> Product:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise NotFound(f"No product with SKU {sku!r}.", code="unknown_sku", fields={"sku": [f"Unknown SKU {sku!r}."]})
    return product


def location_get(code: str) -> Location:
    location = Location.objects.filter(code=code).first()
    if location is None:
        raise NotFound(
            f"No location with code {code!r}.", code="unknown_location", fields={"location": [f"Unknown location {code!r}."]}
        )
    return location


# Counters are 32-bit integers; one movement of more than this is a typo, not a delivery.
MAX_MOVEMENT_QUANTITY = 100_000_000


def _positive(quantity: int, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput(f"{field} must be a whole number above zero.", fields={field: ["Must be a whole number above zero."]})
    if quantity > MAX_MOVEMENT_QUANTITY:
        raise InvalidInput(f"{field} {quantity} is implausibly large.", fields={field: [f"At most {MAX_MOVEMENT_QUANTITY:,} per movement."]})
    return quantity


def stock_levels_lock(pairs: Iterable[tuple[int, int]], *, create: bool = True) -> dict[tuple[int, int], StockLevel]:
    """Lock the StockLevel rows of ``(product_id, location_id)`` pairs in primary-key order.

    Missing rows are created first (when ``create``), so a receipt at a new location has a row
    to lock. Must run inside a transaction.
    """
    pairs = set(pairs)
    if not pairs:
        return {}
    if create:
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=p, location_id=loc) for p, loc in pairs], ignore_conflicts=True
        )
    # Every row of these products is locked (the footprint intake takes too), in primary-key order.
    rows = rows_select(StockLevel, "product", sorted({p for p, _ in pairs}), lock=True)
    return {(row.product_id, row.location_id): row for row in rows if (row.product_id, row.location_id) in pairs}


@dataclass
class LockedStock:
    """A stock row locked for an allocation decision, with what routing needs of its location."""

    pk: int
    product_id: int
    location_id: int
    on_hand: int
    reserved: int
    damaged: int
    safety_stock: int
    latitude: float | None
    longitude: float | None
    priority: int
    location_code: str
    # Read with the row so a reservation can see a low-stock crossing without another query.
    low_stock_threshold: int = 0
    # Read with the row so routing can weigh stores and full locations without another query.
    location_kind: str = Location.Kind.WAREHOUSE
    location_capacity: int | None = None
    # Where the location's parcels start, for the carriers' rate tables.
    location_country: str = ""
    location_postal_code: str = ""

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.damaged - self.safety_stock

    @cached_property
    def location(self) -> Location:
        """The location with only ``id`` and ``code`` loaded (other fields load on access)."""
        return Location.from_db(connection.alias, ["id", "code"], [self.location_id, self.location_code])


def stock_levels_lock_sellable(product_ids: Iterable[int], *, also_at: Iterable[int] = ()) -> list[LockedStock]:
    """Lock the stock rows of these products at every active location that ships, and at the
    active locations ``also_at`` (a channel's stock rule may name a store that sells over its
    counter), in primary-key order.

    Only the stock rows are locked (``OF`` the stock table): locations and products stay free for
    everyone else. Written as one plain statement because order intake runs it for every order.
    """
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return []
    also_at = sorted(set(also_at))
    where = f"(l.can_ship OR l.id IN ({', '.join(['%s'] * len(also_at))}))" if also_at else "l.can_ship"
    stock, location, product = StockLevel._meta.db_table, Location._meta.db_table, Product._meta.db_table
    sql = (
        f"SELECT s.id, s.product_id, s.location_id, s.on_hand, s.reserved, s.damaged, s.safety_stock, "
        f"l.latitude, l.longitude, l.priority, l.code, p.low_stock_threshold, l.kind, l.daily_order_capacity, l.country, l.postal_code FROM {stock} s "
        f"JOIN {location} l ON l.id = s.location_id JOIN {product} p ON p.id = s.product_id "
        f"WHERE s.product_id IN ({', '.join(['%s'] * len(product_ids))}) AND l.is_active AND {where} "
        f"ORDER BY s.id{for_update_clause('s')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, product_ids + also_at)
        return [LockedStock(*row) for row in cursor.fetchall()]


def _counters_shift(
    rows: Sequence[tuple[int, int]], *, reserved: int, on_hand: int = 0, guard: str, short: Exception | None = None,
) -> int | None:
    """Add ``reserved * quantity`` (and ``on_hand * quantity``) to each ``(stock id, quantity)``
    row where ``guard`` holds for it, in one conditional UPDATE; returns how many rows changed.

    The guard is part of the UPDATE itself, so the check and the change cannot be separated
    by another transaction; the caller compares the count with what it asked for. With
    ``short`` given, the count is checked here instead, ``short`` raised when a row was not
    changed, and nothing returned: inside ``oms.db.statements_pipelined`` the check runs when
    the block ends, so the UPDATE waits for no answer.
    """
    table = StockLevel._meta.db_table
    values = " UNION ALL ".join(["SELECT %s AS id, %s AS quantity"] * len(rows))
    sql = (
        f"UPDATE {table} SET reserved = reserved + %s * v.quantity, on_hand = on_hand + %s * v.quantity, updated_at = %s "
        f"FROM ({values}) AS v WHERE {table}.id = v.id AND {guard}"
    )
    params = [reserved, on_hand, timezone.now()] + [value for row in rows for value in row]
    if short is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def check(cursor):
        if cursor.rowcount != len(rows):
            raise short

    statement_then(sql, params, check)
    return None


GUARD_AVAILABLE = "on_hand - reserved - damaged - safety_stock >= v.quantity"
GUARD_RESERVED = "reserved >= v.quantity"


def _ledger_insert(movements: list[StockMovement]) -> list[StockMovement]:
    """Write ledger rows (one statement) and note their products as changed for after the commit."""
    stock_changed(movement.product_id for movement in movements)
    return rows_insert(movements)


def _post(
    level: StockLevel,
    *,
    kind: str,
    actor: Actor,
    reference: str = "",
    reason: str = "",
    on_hand: int = 0,
    reserved: int = 0,
    incoming: int = 0,
    damaged: int = 0,
    safety_stock: int = 0,
) -> StockMovement:
    """Apply deltas to a locked row and record the ledger row; the DB constraints are the last word."""
    level.on_hand += on_hand
    level.reserved += reserved
    level.incoming += incoming
    level.damaged += damaged
    level.safety_stock += safety_stock
    table = StockLevel._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET on_hand = on_hand + %s, reserved = reserved + %s, incoming = incoming + %s, "
                f"damaged = damaged + %s, safety_stock = safety_stock + %s, updated_at = %s WHERE id = %s",
                [on_hand, reserved, incoming, damaged, safety_stock, timezone.now(), level.pk],
            )
    except IntegrityError:
        raise DomainError(
            f"{level.product.sku} at {level.location.code}: this would leave stock negative or below what is "
            f"reserved (on hand {level.on_hand - on_hand}, reserved {level.reserved - reserved}, "
            f"quarantined {level.damaged - damaged}).",
            code="stock_constraint",
        ) from None
    (movement,) = _ledger_insert(
        [
            StockMovement(
                kind=kind,
                product_id=level.product_id,
                location_id=level.location_id,
                on_hand_delta=on_hand,
                reserved_delta=reserved,
                incoming_delta=incoming,
                damaged_delta=damaged,
                safety_stock_delta=safety_stock,
                reference=reference[:120],
                reason=reason[:255],
                **actor_fields(actor),
            )
        ]
    )
    return movement


def _announce_available(product_ids: Iterable[int]) -> None:
    """Stock became sellable: waiting orders (backorders) may now be allocated."""
    event_record(STOCK_AVAILABLE_EVENT, {"product_ids": sorted(set(product_ids))})


# --- low-stock events ---------------------------------------------------------------------------
#
# ``stock.low`` is recorded when a change takes a product's available-to-promise from above its
# ``low_stock_threshold`` to at or below it: once per crossing, not again while it stays low.
# Products without a threshold cost nothing: no query is made for them. The event is numbered on
# the stream ``product:<id>``; callers hold the product's sellable stock rows locked (any stock
# above the threshold is on such a row), which serialises the numbering.


def _low_stock_record(crossings: Iterable[tuple[int, str, int, int]]) -> None:
    """Record ``stock.low`` for each ``(product id, sku, threshold, atp after)``."""
    for product_id, sku, threshold, atp in crossings:
        event_record(LOW_STOCK_EVENT, {"sku": sku, "atp": atp, "threshold": threshold}, stream=f"product:{product_id}")


def _crossed(threshold: int, before: int, after: int) -> bool:
    return threshold > 0 and before > threshold >= after


def _low_stock_watch(products: Iterable[Product]) -> dict[int, tuple[Product, int]]:
    """Available-to-promise now of those products that have a threshold, to compare after a change."""
    watched = {product.pk: product for product in products if product.low_stock_threshold > 0}
    if not watched:
        return {}
    now = available_to_promise(list(watched))
    return {pk: (product, now[pk]) for pk, product in watched.items()}


def _low_stock_check(watch: dict[int, tuple[Product, int]]) -> None:
    """After a change: record ``stock.low`` for the watched products it took across their threshold."""
    if not watch:
        return
    after = available_to_promise(list(watch))
    _low_stock_record(
        (pk, product.sku, product.low_stock_threshold, after[pk])
        for pk, (product, before) in watch.items()
        if _crossed(product.low_stock_threshold, before, after[pk])
    )


# --- receipts, adjustments, quarantine --------------------------------------------------------


def stock_receive(*, sku: str, location: str, quantity: int, reference: str = "", actor: Actor) -> StockMovement:
    """Book goods received at a location: on hand rises by ``quantity``."""
    (movement,) = stock_receive_lines(lines=[(sku, location, quantity)], reference=reference, actor=actor)
    return movement


def stock_receive_lines(*, lines: Sequence[tuple[str, str, int]], reference: str = "", actor: Actor) -> list[StockMovement]:
    """Book a delivery of many ``(sku, location code, quantity)`` lines, all or nothing.

    One transaction however long the delivery: every product and location is checked first
    (unknown ones are named together), the stock rows are locked in primary-key order, on hand
    rises in one statement and the ledger gets one row per line.
    """
    if not lines:
        raise InvalidInput("A receipt needs at least one line.", fields={"lines": ["Add at least one line."]})
    for sku, location, quantity in lines:
        _positive(quantity)
    products = {p.sku: p for p in rows_select(Product, "sku", sorted({sku for sku, _, _ in lines}))}
    locations = {loc.code: loc for loc in rows_select(Location, "code", sorted({code for _, code, _ in lines}))}
    unknown_skus = sorted({sku for sku, _, _ in lines} - set(products))
    unknown_locations = sorted({code for _, code, _ in lines} - set(locations))
    if unknown_skus or unknown_locations:
        fields = {}
        if unknown_skus:
            fields["sku"] = [f"Unknown SKU {sku!r}." for sku in unknown_skus]
        if unknown_locations:
            fields["location"] = [f"Unknown location {code!r}." for code in unknown_locations]
        code = "unknown_reference" if len(fields) == 2 else ("unknown_sku" if unknown_skus else "unknown_location")
        raise NotFound("The receipt names unknown products or locations; nothing was booked.", code=code, fields=fields)
    keyed = [(products[sku].pk, locations[code].pk, quantity) for sku, code, quantity in lines]
    with transaction.atomic():
        levels = stock_levels_lock([(p, loc) for p, loc, _ in keyed])
        totals: dict[int, int] = {}
        for p, loc, quantity in keyed:
            totals[levels[(p, loc)].pk] = totals.get(levels[(p, loc)].pk, 0) + quantity
        _counters_shift(list(totals.items()), reserved=0, on_hand=+1, guard="1 = 1")
        movements = _ledger_insert(
            [
                StockMovement(
                    kind=StockMovement.Kind.RECEIPT, product_id=p, location_id=loc, on_hand_delta=quantity,
                    reference=reference[:120], **actor_fields(actor),
                )
                for p, loc, quantity in keyed
            ]
        )
        _announce_available(p for p, _, _ in keyed)
    return movements


def stock_adjust(
    *,
    sku: str,
    location: str,
    quantity: int,
    reason: str,
    reference: str = "",
    actor: Actor,
    kind: str = StockMovement.Kind.ADJUSTMENT,
) -> StockMovement:
    """Correct on-hand stock by a signed ``quantity`` with a reason a person wrote.

    Refused when it would take on hand below zero or below what is reserved.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity == 0:
        raise InvalidInput("quantity must be a non-zero whole number.", fields={"quantity": ["Must be a non-zero whole number."]})
    _positive(abs(quantity))
    if not reason.strip():
        raise InvalidInput("Say why the stock is adjusted.", fields={"reason": ["A reason is required."]})
    if kind not in (StockMovement.Kind.ADJUSTMENT, StockMovement.Kind.COUNT_CORRECTION, StockMovement.Kind.RETURN_RESTOCK):
        raise InvalidInput(f"{kind!r} is not an adjustment kind.", fields={"type": ["Not an adjustment kind."]})
    product, loc = product_get(sku), location_get(location)
    with transaction.atomic():
        level = stock_levels_lock([(product.pk, loc.pk)])[(product.pk, loc.pk)]
        level.product, level.location = product, loc
        watch = _low_stock_watch([product]) if quantity < 0 else {}
        movement = _post(level, kind=kind, actor=actor, reference=reference, reason=reason, on_hand=quantity)
        if quantity > 0:
            _announce_available([product.pk])
        _low_stock_check(watch)
    return movement


def stock_quarantine(*, sku: str, location: str, quantity: int, reason: str, reference: str = "", actor: Actor) -> StockMovement:
    """Set aside damaged units: still on hand, no longer sellable."""
    _positive(quantity)
    product, loc = product_get(sku), location_get(location)
    with transaction.atomic():
        level = stock_levels_lock([(product.pk, loc.pk)])[(product.pk, loc.pk)]
        level.product, level.location = product, loc
        watch = _low_stock_watch([product])
        movement = _post(level, kind=StockMovement.Kind.DAMAGE, actor=actor, reference=reference, reason=reason, damaged=quantity)
        _low_stock_check(watch)
        return movement


def _quarantined_lock(sku: str, location: str, quantity: int) -> StockLevel:
    """Lock the stock row of ``sku`` at ``location`` (in the house order) and make sure at least
    ``quantity`` units are quarantined there; must run inside a transaction."""
    product, loc = product_get(sku), location_get(location)
    level = stock_levels_lock([(product.pk, loc.pk)])[(product.pk, loc.pk)]
    level.product, level.location = product, loc
    if level.damaged < quantity:
        raise DomainError(
            f"Only {level.damaged} unit(s) of {sku} are quarantined at {location}; {quantity} cannot leave quarantine.",
            code="not_quarantined", fields={"quantity": [f"Only {level.damaged} unit(s) are quarantined here."]},
        )
    return level


def stock_scrap(*, sku: str, location: str, quantity: int, reason: str, reference: str = "", actor: Actor) -> StockMovement:
    """Write off quarantined units: they leave on hand and quarantine together."""
    _positive(quantity)
    with transaction.atomic():
        level = _quarantined_lock(sku, location, quantity)
        return _post(
            level, kind=StockMovement.Kind.SCRAP, actor=actor, reference=reference, reason=reason, on_hand=-quantity, damaged=-quantity
        )


def stock_quarantine_release(*, sku: str, location: str, quantity: int, reason: str, reference: str = "", actor: Actor) -> StockMovement:
    """Make quarantined units sellable again (refurbished, or cleared after a check).

    Guarantees: quarantine falls by ``quantity`` and on hand stays as it is, so available rises
    by ``quantity``; refused (``not_quarantined``) when fewer units are quarantined there, and
    without a reason; one ``quarantine_release`` ledger row; waiting backorders hear of the
    units like a receipt. The stock row is locked as every stock service locks it.
    """
    _positive(quantity)
    if not (reason or "").strip():
        raise InvalidInput("Say why the units may be sold again.", fields={"reason": ["A reason is required."]})
    with transaction.atomic():
        level = _quarantined_lock(sku, location, quantity)
        movement = _post(
            level, kind=StockMovement.Kind.QUARANTINE_RELEASE, actor=actor, reference=reference, reason=reason.strip(), damaged=-quantity
        )
        _announce_available([level.product_id])
        return movement


def stock_set_safety(*, sku: str, location: str, safety_stock: int, actor: Actor) -> StockMovement | None:
    """Set the units kept back from sale at a location."""
    if not isinstance(safety_stock, int) or safety_stock < 0:
        raise InvalidInput("safety_stock must be zero or more.", fields={"safety_stock": ["Must be zero or more."]})
    product, loc = product_get(sku), location_get(location)
    with transaction.atomic():
        level = stock_levels_lock([(product.pk, loc.pk)])[(product.pk, loc.pk)]
        level.product, level.location = product, loc
        delta = safety_stock - level.safety_stock
        if delta == 0:
            return None
        watch = _low_stock_watch([product]) if delta > 0 else {}
        movement = _post(level, kind=StockMovement.Kind.SAFETY_STOCK, actor=actor, safety_stock=delta)
        if delta < 0:
            _announce_available([product.pk])
        _low_stock_check(watch)
        return movement


# --- returned units ---------------------------------------------------------------------------

# Where inspected returned units go: sellable stock, quarantine (damaged, refurbishing), written
# off, or back to the vendor. Returns names its own dispositions and maps them onto these.
RETURN_DISPOSITIONS = ("restock", "quarantine", "scrap", "return_to_vendor")


@dataclass(frozen=True)
class ReturnedUnits:
    """Plain-data: ``quantity`` units of ``sku`` came back and go where ``disposition`` says."""

    sku: str
    quantity: int
    disposition: str
    note: str = ""


def stock_return_dispose(*, location: str, items: Sequence[ReturnedUnits], reference: str, actor: Actor) -> list[StockMovement]:
    """Post inspected returned units to the ledger at ``location``, all or nothing, with
    ``reference`` (the RMA number) on every row.

    restock: on hand rises (``return_restock``) and waiting backorders hear of it like a receipt;
    quarantine: on hand and quarantine rise together (``damage``), never sold until released;
    scrap and return_to_vendor: the units come in quarantined and leave again (``scrap`` /
    ``return_to_vendor``), so the ledger tells where they went and the counters end unchanged.
    A fixed number of statements however many items; stock rows locked in primary-key order.
    """
    if not items:
        return []
    for item in items:
        _positive(item.quantity)
        if item.disposition not in RETURN_DISPOSITIONS:
            raise InvalidInput(
                f"{item.disposition!r} is not a disposition of returned units.", fields={"disposition": [f"One of: {', '.join(RETURN_DISPOSITIONS)}."]}
            )
    place = location_get(location)
    products = {p.sku: p for p in rows_select(Product, "sku", sorted({item.sku for item in items}))}
    unknown = sorted({item.sku for item in items} - set(products))
    if unknown:
        raise NotFound(f"Unknown SKU(s): {', '.join(unknown)}.", code="unknown_sku", fields={"sku": [f"Unknown SKU {sku!r}." for sku in unknown]})
    movements: list[StockMovement] = []

    def move(kind: str, item: ReturnedUnits, *, on_hand: int, damaged: int = 0, reason: str) -> None:
        movements.append(
            StockMovement(
                kind=kind, product_id=products[item.sku].pk, location_id=place.pk, on_hand_delta=on_hand, damaged_delta=damaged,
                reference=reference[:120], reason=(reason + (f": {item.note}" if item.note else ""))[:255], **actor_fields(actor),
            )
        )

    for item in items:
        quantity = item.quantity
        if item.disposition == "restock":
            move(StockMovement.Kind.RETURN_RESTOCK, item, on_hand=quantity, reason="returned, restocked")
            continue
        move(StockMovement.Kind.DAMAGE, item, on_hand=quantity, damaged=quantity, reason=f"returned, {item.disposition.replace('_', ' ')}")
        if item.disposition == "scrap":
            move(StockMovement.Kind.SCRAP, item, on_hand=-quantity, damaged=-quantity, reason="returned, scrapped")
        elif item.disposition == "return_to_vendor":
            move(StockMovement.Kind.RETURN_TO_VENDOR, item, on_hand=-quantity, damaged=-quantity, reason="returned to vendor")
    with transaction.atomic():
        levels = stock_levels_lock([(products[item.sku].pk, place.pk) for item in items])
        net: dict[int, list[int]] = {}
        for movement in movements:
            row = net.setdefault(levels[(movement.product_id, place.pk)].pk, [0, 0])
            row[0] += movement.on_hand_delta
            row[1] += movement.damaged_delta
        _on_hand_damaged_add([(pk, on_hand, damaged) for pk, (on_hand, damaged) in net.items() if on_hand or damaged])
        created = rows_insert(movements)
        restocked = [products[item.sku].pk for item in items if item.disposition == "restock"]
        if restocked:
            _announce_available(restocked)
    return created


def _on_hand_damaged_add(rows: list[tuple[int, int, int]]) -> None:
    """Add ``(stock id, on hand delta, quarantine delta)`` to each row in one UPDATE (the
    database's constraints refuse a negative result)."""
    if not rows:
        return
    table = StockLevel._meta.db_table
    values = ", ".join(["(CAST(%s AS integer), CAST(%s AS integer), CAST(%s AS integer))"] + ["(%s, %s, %s)"] * (len(rows) - 1))
    sql = (
        f"UPDATE {table} SET on_hand = on_hand + v.column2, damaged = damaged + v.column3, updated_at = %s "
        f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), *(value for row in rows for value in row)])


# --- reservations ---------------------------------------------------------------------------


def _merge(changes: Sequence[StockChange]) -> list[StockChange]:
    merged: dict[tuple[int, int], int] = {}
    for change in changes:
        _positive(change.quantity)
        merged[(change.product_id, change.location_id)] = merged.get((change.product_id, change.location_id), 0) + change.quantity
    return [StockChange(p, loc, q) for (p, loc), q in merged.items()]


def _sellable_total(levels: dict[tuple[int, int], LockedStock], product_ids) -> dict[int, int]:
    """Available-to-promise of these products from their locked sellable rows."""
    totals = dict.fromkeys(product_ids, 0)
    for (product_id, _), row in levels.items():
        if product_id in totals:
            totals[product_id] += max(row.available, 0)
    return totals


def stock_reserve(*, changes: Sequence[StockChange], levels: dict[tuple[int, int], LockedStock], actor: Actor) -> list[StockMovement]:
    """Hold stock for the given changes, all or nothing.

    ``levels`` are the rows the caller locked in this transaction
    (:func:`stock_levels_lock_sellable`). The update is conditional on every row still having
    the quantity available, so it can never push ``reserved`` past what is there; when one row
    lacks it, nothing is reserved and :class:`InsufficientStock` is raised.
    """
    if not changes:
        return []
    merged = _merge(changes)
    if any((c.product_id, c.location_id) not in levels for c in merged):
        raise InsufficientStock("No stock row for the requested product at that location.")
    # The rows are locked, so they say what is there: refuse before the UPDATE, which would
    # otherwise have changed the rows that did have enough before the shortfall was noticed.
    if any(levels[(c.product_id, c.location_id)].available < c.quantity for c in merged):
        raise InsufficientStock("Not enough stock available at the chosen location(s); nothing was reserved.")
    rows = [(levels[(c.product_id, c.location_id)].pk, c.quantity) for c in merged]
    # Rows from stock_levels_lock_sellable carry the product's threshold (plain StockLevel rows
    # do not, and get no check); ``levels`` then holds every sellable row of the product.
    thresholds = {c.product_id: t for c in merged if (t := getattr(levels[(c.product_id, c.location_id)], "low_stock_threshold", 0))}
    before = _sellable_total(levels, thresholds) if thresholds else {}
    _counters_shift(rows, reserved=+1, guard=GUARD_AVAILABLE, short=InsufficientStock("Stock changed while reserving; nothing was reserved."))
    for change in merged:
        levels[(change.product_id, change.location_id)].reserved += change.quantity
    if thresholds:
        after = _sellable_total(levels, thresholds)
        crossed = [pk for pk, threshold in thresholds.items() if _crossed(threshold, before[pk], after[pk])]
        if crossed:
            skus = dict(Product.objects.filter(pk__in=crossed).values_list("pk", "sku"))
            _low_stock_record((pk, skus[pk], thresholds[pk], after[pk]) for pk in crossed)
    return _ledger_insert(
        [
            StockMovement(
                kind=StockMovement.Kind.RESERVATION,
                product_id=c.product_id,
                location_id=c.location_id,
                reserved_delta=c.quantity,
                reference=c.reference[:120],
                **actor_fields(actor),
            )
            for c in changes
        ]
    )


def _reserved_take(
    changes: Sequence[StockChange], *, kind: str, ship: bool, actor: Actor, reason: str
) -> list[StockMovement]:
    """Take units out of ``reserved`` (released, or shipped: then out of on hand too), all or nothing."""
    if not changes:
        return []
    merged = _merge(changes)
    with transaction.atomic():
        levels = stock_levels_lock([(c.product_id, c.location_id) for c in merged], create=False)
        updated = 0
        if len(levels) == len(merged):
            rows = [(levels[(c.product_id, c.location_id)].pk, c.quantity) for c in merged]
            updated = _counters_shift(rows, reserved=-1, on_hand=-1 if ship else 0, guard=GUARD_RESERVED)
        if updated != len(merged):
            raise DomainError("Cannot take more stock than is reserved.", code="exceeds_reserved")
        movements = _ledger_insert(
            [
                StockMovement(
                    kind=kind,
                    product_id=c.product_id,
                    location_id=c.location_id,
                    reserved_delta=-c.quantity,
                    on_hand_delta=-c.quantity if ship else 0,
                    reference=c.reference[:120],
                    reason=reason[:255],
                    **actor_fields(actor),
                )
                for c in changes
            ]
        )
        if not ship:
            _announce_available(c.product_id for c in merged)
    return movements


def stock_release(*, changes: Sequence[StockChange], actor: Actor, reason: str = "") -> list[StockMovement]:
    """Give held stock back, all or nothing; the released units become available again."""
    return _reserved_take(changes, kind=StockMovement.Kind.RELEASE, ship=False, actor=actor, reason=reason)


def stock_ship(*, changes: Sequence[StockChange], actor: Actor, reason: str = "") -> list[StockMovement]:
    """Reserved units leave the building: reserved and on hand fall together, all or nothing."""
    return _reserved_take(changes, kind=StockMovement.Kind.SHIPMENT, ship=True, actor=actor, reason=reason)


# --- transfers ------------------------------------------------------------------------------


def stock_transfer_create(
    *, source: str, destination: str, lines: Sequence[tuple[str, int]], reference: str = "", actor: Actor
) -> Transfer:
    """Draft a transfer of ``(sku, quantity)`` lines between two locations."""
    src, dst = location_get(source), location_get(destination)
    if src.pk == dst.pk:
        raise InvalidInput("A transfer needs two different locations.", fields={"destination": ["Must differ from the source."]})
    if not lines:
        raise InvalidInput("A transfer needs at least one line.", fields={"lines": ["Add at least one line."]})
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + _positive(quantity)
    products = {p.sku: p for p in Product.objects.filter(sku__in=totals)}
    unknown = sorted(set(totals) - set(products))
    if unknown:
        raise NotFound(f"Unknown SKU(s): {', '.join(unknown)}.", code="unknown_sku", fields={"lines": [f"Unknown SKU {s!r}." for s in unknown]})
    user = actor_fields(actor)["actor"]
    with transaction.atomic():
        transfer = Transfer.objects.create(source=src, destination=dst, reference=reference, created_by=user)
        Transfer.objects.filter(pk=transfer.pk).update(number=f"TR-{transfer.pk:06d}")
        transfer.number = f"TR-{transfer.pk:06d}"
        TransferLine.objects.bulk_create(
            [TransferLine(transfer=transfer, product=products[sku], quantity=q) for sku, q in totals.items()]
        )
    return transfer


def _transfer_lock(transfer_id: int) -> Transfer:
    # Lock the transfer only (OF self): locking the joined locations would block the foreign-key
    # checks of every stock movement written there while this waits for stock rows: a deadlock.
    transfer = Transfer.objects.select_for_update(of=("self",)).select_related("source", "destination").filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound(f"No transfer #{transfer_id}.")
    return transfer


def stock_transfer_dispatch(*, transfer_id: int, actor: Actor) -> Transfer:
    """Send a drafted transfer: stock leaves the source and shows as incoming at the destination."""
    with transaction.atomic():
        transfer = _transfer_lock(transfer_id)
        if transfer.status != Transfer.Status.DRAFT:
            raise DomainError(f"{transfer} is {transfer.get_status_display().lower()}; only a draft can be dispatched.", code="invalid_transition")
        lines = list(transfer.lines.select_related("product"))
        levels = stock_levels_lock(
            [(line.product_id, transfer.source_id) for line in lines] + [(line.product_id, transfer.destination_id) for line in lines]
        )
        watch = _low_stock_watch(line.product for line in lines)
        for line in lines:
            out = levels[(line.product_id, transfer.source_id)]
            out.product, out.location = line.product, transfer.source
            if out.available < line.quantity:
                raise InsufficientStock(
                    f"{line.product.sku}: only {max(out.available, 0)} available at {transfer.source.code}, "
                    f"{line.quantity} to transfer."
                )
            _post(out, kind=StockMovement.Kind.TRANSFER_OUT, actor=actor, reference=transfer.number, on_hand=-line.quantity)
            into = levels[(line.product_id, transfer.destination_id)]
            into.product, into.location = line.product, transfer.destination
            _post(into, kind=StockMovement.Kind.TRANSFER_IN, actor=actor, reference=transfer.number, reason="in transit", incoming=line.quantity)
        _low_stock_check(watch)
        transfer.status, transfer.dispatched_at = Transfer.Status.IN_TRANSIT, timezone.now()
        transfer.save(update_fields=["status", "dispatched_at"])
    return transfer


def stock_transfer_receive(*, transfer_id: int, actor: Actor) -> Transfer:
    """Receive an in-transit transfer in full: incoming turns into on hand at the destination."""
    with transaction.atomic():
        transfer = _transfer_lock(transfer_id)
        if transfer.status != Transfer.Status.IN_TRANSIT:
            raise DomainError(f"{transfer} is {transfer.get_status_display().lower()}; only one in transit can be received.", code="invalid_transition")
        lines = list(transfer.lines.select_related("product"))
        levels = stock_levels_lock([(line.product_id, transfer.destination_id) for line in lines])
        for line in lines:
            level = levels[(line.product_id, transfer.destination_id)]
            level.product, level.location = line.product, transfer.destination
            outstanding = line.quantity - line.quantity_received
            _post(level, kind=StockMovement.Kind.TRANSFER_IN, actor=actor, reference=transfer.number, reason="received", incoming=-outstanding, on_hand=outstanding)
        transfer.lines.update(quantity_received=F("quantity"))
        transfer.status, transfer.received_at = Transfer.Status.RECEIVED, timezone.now()
        transfer.save(update_fields=["status", "received_at"])
        _announce_available(line.product_id for line in lines)
    return transfer


def stock_transfer_cancel(*, transfer_id: int, actor: Actor) -> Transfer:
    """Cancel a transfer; one already in transit returns its stock to the source."""
    with transaction.atomic():
        transfer = _transfer_lock(transfer_id)
        if transfer.status not in (Transfer.Status.DRAFT, Transfer.Status.IN_TRANSIT):
            raise DomainError(f"{transfer} is {transfer.get_status_display().lower()} and can no longer be cancelled.", code="invalid_transition")
        if transfer.status == Transfer.Status.IN_TRANSIT:
            lines = list(transfer.lines.select_related("product"))
            levels = stock_levels_lock(
                [(line.product_id, transfer.source_id) for line in lines] + [(line.product_id, transfer.destination_id) for line in lines]
            )
            for line in lines:
                into = levels[(line.product_id, transfer.destination_id)]
                into.product, into.location = line.product, transfer.destination
                _post(into, kind=StockMovement.Kind.TRANSFER_IN, actor=actor, reference=transfer.number, reason="transfer cancelled", incoming=-line.quantity)
                back = levels[(line.product_id, transfer.source_id)]
                back.product, back.location = line.product, transfer.source
                _post(back, kind=StockMovement.Kind.TRANSFER_OUT, actor=actor, reference=transfer.number, reason="transfer cancelled", on_hand=line.quantity)
            _announce_available(line.product_id for line in lines)
        transfer.status = Transfer.Status.CANCELLED
        transfer.save(update_fields=["status"])
    return transfer


# --- catalogue ------------------------------------------------------------------------------


def product_create(*, sku: str, name: str, price, currency: str = "USD", actor: Actor, **fields) -> Product:
    """Create a product; a duplicate SKU or a bad price or currency is refused with a clear error."""
    sku, name = (sku or "").strip(), (name or "").strip()
    errors = {}
    if not sku:
        errors["sku"] = ["This field is required."]
    if not name:
        errors["name"] = ["This field is required."]
    try:
        price = parse_amount(price)
        if price < 0:
            errors["price"] = ["Must be zero or more."]
    except ValueError as exc:
        errors["price"] = [str(exc)]
    if not is_currency(currency):
        errors["currency"] = [f"{currency!r} is not an ISO 4217 currency code."]
    if errors:
        raise InvalidInput("The product is malformed; nothing was recorded.", fields=errors)
    duplicate = DomainError(f"A product with SKU {sku!r} already exists.", code="duplicate_sku", fields={"sku": ["Already exists."]})
    with transaction.atomic():
        if Product.objects.filter(sku=sku).exists():
            raise duplicate
        try:
            with transaction.atomic():
                product = Product.objects.create(sku=sku, name=name, price=price, currency=currency, **fields)
                created = config_values(product)
                config_change_record(instance=product, action=ConfigChange.Action.CREATE, changes={k: [None, v] for k, v in created.items()}, actor=actor)
                return product
        except IntegrityError:
            # Only the SKU is unique; the checks above rule out the other constraints.
            raise duplicate from None


# Fields ``product_update`` may change; ``sku`` and ``currency`` are fixed once orders refer to them.
PRODUCT_UPDATABLE = (
    "name", "price", "cost", "gtin", "weight_grams", "length_mm", "width_mm", "height_mm", "is_active", "is_returnable", "low_stock_threshold",
    "category",
)


def product_update(*, sku: str, expected_version: ExpectedVersion, changes: dict, actor: Actor) -> Product:
    """Change a product's catalogue fields, if it is still at ``expected_version``.

    Guarantees: the product row is locked while the version is compared, so of two concurrent
    edits made from the same read one wins and the other gets PreconditionFailed (412); a change
    that changes nothing keeps the version; otherwise the version rises by one and ``updated_at``
    is set, in one transaction. ``expected_version`` None (``If-Match: *``) skips the comparison.
    """
    unknown = sorted(set(changes) - set(PRODUCT_UPDATABLE))
    if unknown:
        raise InvalidInput("These product fields cannot be changed.", fields={name: ["Cannot be changed."] for name in unknown})
    errors = {}
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            errors["name"] = ["This field may not be blank."]
    for name in ("price", "cost"):
        if name in changes and not (name == "cost" and changes[name] is None):
            try:
                changes[name] = parse_amount(changes[name])
                if changes[name] < 0:
                    errors[name] = ["Must be zero or more."]
            except ValueError as exc:
                errors[name] = [str(exc)]
    if changes.get("gtin") and not str(changes["gtin"]).isdigit():
        errors["gtin"] = ["Digits only."]
    if errors:
        raise InvalidInput("The change is malformed; nothing was changed.", fields=errors)
    with transaction.atomic():
        product = Product.objects.select_for_update(no_key=True).filter(sku=sku).first()
        if product is None:
            raise NotFound(f"No product with SKU {sku!r}.", code="unknown_sku")
        version_check(expected_version, product.version, what=f"Product {sku}")
        changed = [name for name, value in changes.items() if getattr(product, name) != value]
        if not changed:
            return product
        before = config_values(product)
        for name in changed:
            setattr(product, name, changes[name])
        audited = config_changes_between(before, config_values(product))
        config_change_record(instance=product, action=ConfigChange.Action.UPDATE, changes=audited, actor=actor)
        product.version += 1
        product.updated_at = timezone.now()
        product.save(update_fields=[*changed, "version", "updated_at"])
    return product


# --- stock counts from other systems ---------------------------------------------------------------

MAX_SNAPSHOT_ITEMS = 5_000


@dataclass
class SnapshotItemResult:
    sku: str
    status: str  # applied | unchanged | skipped
    on_hand_before: int | None = None
    on_hand: int | None = None
    error_code: str = ""
    error_message: str = ""

    @property
    def delta(self) -> int:
        if self.on_hand is None or self.on_hand_before is None:
            return 0
        return self.on_hand - self.on_hand_before


@dataclass
class SnapshotResult:
    location: str
    reference: str
    items: list[SnapshotItemResult]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def _skipped(sku: str, code: str, message: str, on_hand: int | None = None) -> SnapshotItemResult:
    return SnapshotItemResult(sku=sku, status="skipped", on_hand_before=on_hand, error_code=code, error_message=message)


def stock_snapshot_apply(
    *, location: str, items: Sequence[tuple[str, int]], reference: str = "", counted_at=None, actor: Actor
) -> SnapshotResult:
    """Set on-hand stock at one location to what another system (an ERP, a WMS) counted.

    Each ``(sku, on_hand)`` is applied as a count-correction ledger row of the difference; a
    count equal to the stock writes nothing. Items that cannot apply are skipped and reported:
    an unknown SKU, a SKU given twice, a negative count, or a count below what is reserved plus
    quarantined there (the units promised to orders would vanish). The rest apply together, in
    one transaction, with every stock row of the counted products locked in primary-key order,
    a fixed number of statements however many items. A SKU with no stock row there gets one.

    ``counted_at``: when the count was taken. On-hand movements booked at the location after it
    are added to the count, so a count that arrives late does not undo the sales made meanwhile.
    """
    loc = location_get(location)
    if len(items) > MAX_SNAPSHOT_ITEMS:
        raise InvalidInput(f"At most {MAX_SNAPSHOT_ITEMS:,} items per snapshot.", fields={"items": [f"At most {MAX_SNAPSHOT_ITEMS:,} items."]})
    if counted_at is not None and counted_at > timezone.now():
        raise InvalidInput("counted_at lies in the future.", fields={"counted_at": ["Must not be in the future."]})
    products = {p.sku: p for p in Product.objects.filter(sku__in={sku for sku, _ in items})}
    results: list[SnapshotItemResult | None] = [None] * len(items)
    wanted: dict[int, tuple[int, int]] = {}  # product id -> (item index, counted)
    seen: set[str] = set()
    for index, (sku, counted) in enumerate(items):
        product = products.get(sku)
        if sku in seen:
            results[index] = _skipped(sku, "duplicate_sku", f"{sku} is counted more than once in this snapshot; only its first count is used.")
        elif product is None:
            results[index] = _skipped(sku, "unknown_sku", f"No product with SKU {sku!r}.")
        elif counted < 0:
            results[index] = _skipped(sku, "negative", f"{sku}: a count cannot be negative ({counted}).")
        elif counted > MAX_MOVEMENT_QUANTITY:
            results[index] = _skipped(sku, "implausible", f"{sku}: {counted} is implausibly large.")
        else:
            wanted[product.pk] = (index, counted)
        seen.add(sku)
    by_id = {product.pk: product for product in products.values()}
    with transaction.atomic():
        if wanted:
            # A row for every count above zero first, so it can be locked with the others.
            StockLevel.objects.bulk_create(
                [StockLevel(product_id=pk, location_id=loc.pk) for pk, (_, counted) in wanted.items() if counted > 0],
                ignore_conflicts=True,
            )
        # Every row of these products, as the other stock services lock them; ``OF`` the stock
        # table only, so the joined locations stay free.
        rows = list(
            StockLevel.objects.filter(product_id__in=wanted).select_related("location").order_by("pk")
            .select_for_update(no_key=True, of=("self",))
        ) if wanted else []
        here = {row.product_id: row for row in rows if row.location_id == loc.pk}
        since = _on_hand_since(loc.pk, list(wanted), counted_at) if counted_at is not None and wanted else {}
        shifts, movements = [], []
        for pk, (index, counted) in wanted.items():
            sku, row = by_id[pk].sku, here.get(pk)
            on_hand = row.on_hand if row is not None else 0
            target = counted + since.get(pk, 0)
            committed = (row.reserved + row.damaged) if row is not None else 0
            if target < committed:
                carried = f" ({target} with the movements booked since the count)" if since.get(pk) else ""
                results[index] = _skipped(
                    sku, "below_committed",
                    f"{sku} at {loc.code}: counted {counted}{carried}, but {committed} unit(s) are reserved for orders or "
                    "quarantined there; release or ship them first.",
                    on_hand,
                )
                continue
            results[index] = SnapshotItemResult(sku=sku, status="applied" if target != on_hand else "unchanged", on_hand_before=on_hand, on_hand=target)
            if target != on_hand:
                shifts.append((row.pk, target - on_hand))
                movements.append(
                    StockMovement(
                        kind=StockMovement.Kind.COUNT_CORRECTION, product_id=pk, location_id=loc.pk, on_hand_delta=target - on_hand,
                        reference=reference[:120], reason=_count_reason(counted, counted_at), **actor_fields(actor),
                    )
                )
        if shifts:
            if _on_hand_shift(shifts) != len(shifts):
                raise DomainError("Stock changed while the snapshot was applied; nothing was changed.", code="stock_constraint")
            StockMovement.objects.bulk_create(movements, batch_size=1000)
            stock_changed(m.product_id for m in movements)
            gained = [m.product_id for m in movements if m.on_hand_delta > 0]
            if gained:
                _announce_available(gained)
            _low_stock_record(_snapshot_crossings(rows, loc.pk, {m.product_id: m.on_hand_delta for m in movements}, by_id))
    return SnapshotResult(location=loc.code, reference=reference, items=results)


def _on_hand_shift(rows: list[tuple[int, int]]) -> int:
    """Add each ``(stock id, delta)`` to on hand in one UPDATE, where it leaves what is reserved
    and quarantined covered; returns how many rows changed.

    A VALUES list rather than :func:`_counters_shift`'s UNION ALL: PostgreSQL plans thousands of
    unioned SELECTs very slowly, and a snapshot has up to 5,000 rows.
    """
    table = StockLevel._meta.db_table
    # The first row is cast so the database knows the columns' types (the rest follow it).
    values = ", ".join(["(CAST(%s AS integer), CAST(%s AS integer))"] + ["(%s, %s)"] * (len(rows) - 1))
    sql = (
        f"UPDATE {table} SET on_hand = on_hand + v.column2, updated_at = %s FROM (VALUES {values}) AS v "
        f"WHERE {table}.id = v.column1 AND on_hand + v.column2 >= reserved + damaged"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), *(value for row in rows for value in row)])
        return cursor.rowcount


def _count_reason(counted: int, counted_at) -> str:
    return f"Stock count: {counted}" + (f" at {counted_at.isoformat()}" if counted_at is not None else "")


def _on_hand_since(location_id: int, product_ids: list[int], since) -> dict[int, int]:
    """Net on-hand movement per product at a location after ``since``, in one query."""
    return dict(
        StockMovement.objects.filter(location_id=location_id, product_id__in=product_ids, created_at__gt=since)
        .order_by()
        .values("product_id")
        .annotate(net=Sum("on_hand_delta"))
        .values_list("product_id", "net")
    )


def _snapshot_crossings(rows: list[StockLevel], location_id: int, deltas: dict[int, int], products: dict[int, Product]):
    """``(product id, sku, threshold, atp after)`` for the products a snapshot took to low stock,
    worked out from the locked rows (before) and the deltas applied (after): no query."""
    watched = {pk for pk, delta in deltas.items() if delta < 0 and products[pk].low_stock_threshold > 0}
    if not watched:
        return []
    before, after = dict.fromkeys(watched, 0), dict.fromkeys(watched, 0)
    for row in rows:
        if row.product_id not in watched or not (row.location.is_active and row.location.can_ship):
            continue
        before[row.product_id] += max(row.available, 0)
        shift = deltas[row.product_id] if row.location_id == location_id else 0
        after[row.product_id] += max(row.available + shift, 0)
    return [
        (pk, products[pk].sku, products[pk].low_stock_threshold, after[pk])
        for pk in watched
        if _crossed(products[pk].low_stock_threshold, before[pk], after[pk])
    ]


# --- locations and bins ------------------------------------------------------------------------
# The console edits these through its model forms; integrations (a WMS setting up a warehouse)
# come through these services, which validate with the models' own rules and keep the version.

# Fields ``location_update`` may change; ``code`` names the location everywhere and stays.
LOCATION_UPDATABLE = (
    "name", "kind", "line1", "line2", "city", "region", "postal_code", "country", "latitude", "longitude",
    "can_ship", "can_pick_up", "priority", "daily_order_capacity", "is_active",
)
# Fields ``bin_update`` may change; ``code`` is on the bin's label and stays.
BIN_UPDATABLE = ("zone", "aisle", "shelf", "position", "pick_sequence")


def _fields_apply(instance, changes: dict) -> list[str]:
    """Set the ``changes`` that differ on ``instance`` (not saved); the names of those fields."""
    changed = [name for name, value in changes.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, changes[name])
    return changed


def _model_validate(instance, *, what: str, exclude: Sequence[str] = ()) -> None:
    """The model's own field rules (lengths, choices, slugs, countries) as one clear InvalidInput."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise InvalidInput(f"The {what} is malformed; nothing was recorded.", fields=exc.message_dict) from None


def _coordinates_validate(location: Location) -> None:
    errors = {}
    if (location.latitude is None) != (location.longitude is None):
        errors["coordinates"] = ["Give both latitude and longitude, or neither."]
    if location.latitude is not None and not -90 <= location.latitude <= 90:
        errors["latitude"] = ["Must be between -90 and 90."]
    if location.longitude is not None and not -180 <= location.longitude <= 180:
        errors["longitude"] = ["Must be between -180 and 180."]
    if errors:
        raise InvalidInput("The location's coordinates are malformed; nothing was recorded.", fields=errors)


def location_create(*, code: str, name: str, country: str, actor: Actor, **fields) -> Location:
    """Create a location (``fields``: any of ``LOCATION_UPDATABLE``). Guarantees: the model's
    field rules and plausible coordinates are checked before anything is written; a code in use
    is refused (``duplicate_location``), even when two requests race for it."""
    unknown = sorted(set(fields) - set(LOCATION_UPDATABLE))
    if unknown:
        raise InvalidInput("These location fields do not exist.", fields={name: ["Unknown field."] for name in unknown})
    location = Location(code=(code or "").strip(), name=(name or "").strip(), country=(country or "").strip().upper(), **fields)
    _model_validate(location, what="location")
    _coordinates_validate(location)
    duplicate = DomainError(
        f"A location with code {location.code!r} already exists.", code="duplicate_location", fields={"code": ["Already exists."]}
    )
    if Location.objects.filter(code=location.code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            location.save()
    except IntegrityError:
        raise duplicate from None
    return location


def location_update(*, code: str, expected_version: ExpectedVersion, changes: dict, actor: Actor) -> Location:
    """Change a location's fields, if it is still at ``expected_version`` (None: any).

    Guarantees: the row is locked while the version is compared (of two edits from the same read,
    one gets 412); the result is checked against the model's rules before it is saved; a change
    to nothing keeps the version, any other raises it by one. One transaction.
    """
    unknown = sorted(set(changes) - set(LOCATION_UPDATABLE))
    if unknown:
        raise InvalidInput("These location fields cannot be changed.", fields={name: ["Cannot be changed."] for name in unknown})
    if "country" in changes:
        changes["country"] = (changes["country"] or "").strip().upper()
    with transaction.atomic():
        location = Location.objects.select_for_update(no_key=True).filter(code=code).first()
        if location is None:
            raise NotFound(f"No location with code {code!r}.", code="unknown_location")
        version_check(expected_version, location.version, what=f"Location {code}")
        changed = _fields_apply(location, changes)
        if not changed:
            return location
        _model_validate(location, what="change")
        _coordinates_validate(location)
        location.version += 1
        location.save(update_fields=[*changed, "version"])
    return location


def bin_create(*, location: str, code: str, actor: Actor, **fields) -> Bin:
    """Create a bin in a location (``fields``: any of ``BIN_UPDATABLE``); a code the location
    already uses is refused (``duplicate_bin``), even when two requests race for it."""
    unknown = sorted(set(fields) - set(BIN_UPDATABLE))
    if unknown:
        raise InvalidInput("These bin fields do not exist.", fields={name: ["Unknown field."] for name in unknown})
    place = location_get(location)
    bin_ = Bin(location=place, code=(code or "").strip(), **fields)
    _model_validate(bin_, what="bin")
    duplicate = DomainError(
        f"Location {place.code} already has a bin {bin_.code!r}.", code="duplicate_bin", fields={"code": ["Already exists here."]}
    )
    if Bin.objects.filter(location=place, code=bin_.code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            bin_.save()
    except IntegrityError:
        raise duplicate from None
    return bin_


def _bin_missing(location: str, code: str) -> NotFound:
    return NotFound(f"Location {location!r} has no bin {code!r}.", code="unknown_bin", fields={"bin": [f"Unknown bin {code!r}."]})


def bin_update(*, location: str, code: str, expected_version: ExpectedVersion, changes: dict, actor: Actor) -> Bin:
    """Change a bin's place and pick sequence, if it is still at ``expected_version`` (None: any);
    locked while compared, checked before saved, version raised only by a real change."""
    unknown = sorted(set(changes) - set(BIN_UPDATABLE))
    if unknown:
        raise InvalidInput("These bin fields cannot be changed.", fields={name: ["Cannot be changed."] for name in unknown})
    with transaction.atomic():
        bin_ = Bin.objects.select_for_update(no_key=True).select_related("location").filter(location__code=location, code=code).first()
        if bin_ is None:
            location_get(location)  # an unknown location says so, rather than "no such bin"
            raise _bin_missing(location, code)
        version_check(expected_version, bin_.version, what=f"Bin {location}/{code}")
        changed = _fields_apply(bin_, changes)
        if not changed:
            return bin_
        _model_validate(bin_, what="change", exclude=["location"])
        bin_.version += 1
        bin_.save(update_fields=[*changed, "version"])
    return bin_


def stock_bin_assign(*, sku: str, location: str, bin_code: str | None, actor: Actor) -> StockLevel:
    """Put a SKU in a bin of a location (its pick lists then send pickers there), or with
    ``bin_code`` None take it out of any bin. The SKU's stock row there is created when it has
    none yet (all zero: no ledger row, since no counter changes) and locked while it changes."""
    product, place = product_get(sku), location_get(location)
    target = None
    if bin_code is not None:
        target = Bin.objects.filter(location=place, code=bin_code).first()
        if target is None:
            raise _bin_missing(location, bin_code)
    with transaction.atomic():
        StockLevel.objects.bulk_create([StockLevel(product=product, location=place)], ignore_conflicts=True)
        level = StockLevel.objects.select_for_update(no_key=True).get(product=product, location=place)
        if level.bin_id != (target.pk if target else None):
            level.bin = target
            level.save(update_fields=["bin", "updated_at"])
    level.product, level.location, level.bin = product, place, target
    return level
