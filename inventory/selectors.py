"""Reads of stock: availability, available-to-promise (overall and per sales channel), the
stock and ledger listings of the API, and the ledger reconciliation."""

import hashlib
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from oms.db import rows_select

from .models import Bin, ChannelStockRule, Location, Product, StockLevel, StockMovement
from .selectors_purchasing import incoming_arrivals


@dataclass
class LocationStock:
    location: str
    on_hand: int
    reserved: int
    incoming: int
    damaged: int
    safety_stock: int
    available: int


@dataclass
class SkuAvailability:
    sku: str
    available_to_promise: int
    incoming: int
    locations: list[LocationStock] = field(default_factory=list)
    channel: str | None = None
    # What open purchase orders bring to the locations counted, soonest first (``Arrival``).
    arrivals: list = field(default_factory=list)


def products_by_sku(skus) -> dict[str, Product]:
    return {p.sku: p for p in rows_select(Product, "sku", sorted(set(skus)))}


def stock_for_sku(product: Product, *, channel: str | None = None) -> SkuAvailability:
    """Per-location quantities of one SKU and what can be promised across shipping locations.

    Available-to-promise sums what is available (on hand less reserved, quarantined and safety
    stock) at active locations that ship; a location short of its safety stock adds nothing.
    With ``channel``: what that channel may promise (:class:`ChannelPool`), and only the
    locations that sell for it are listed.
    """
    pool = channel_pool(channel) if channel is not None else ChannelPool(channel="")
    rows = StockLevel.objects.filter(product=product).select_related("location").order_by("location__priority", "location__code")
    result = SkuAvailability(sku=product.sku, available_to_promise=0, incoming=0, channel=channel)
    pooled, counted = [], set()
    for row in rows:
        sells = pool.sells_from(row.location)
        if sells:
            pooled.append(row.available)
            result.incoming += row.incoming
            counted.add(row.location.code)
        if sells or channel is None:
            result.locations.append(_location_stock(row))
    result.available_to_promise = pool.may_take(pooled)
    result.arrivals = [arrival for arrival in incoming_arrivals([product.pk])[product.pk] if arrival.location in counted]
    return result


def available_to_promise(product_ids) -> dict[int, int]:
    """ATP per product id across active shipping locations, in one query."""
    totals = dict.fromkeys(product_ids, 0)
    rows = StockLevel.objects.filter(
        product_id__in=totals, location__is_active=True, location__can_ship=True
    ).values_list("product_id", "on_hand", "reserved", "damaged", "safety_stock")
    for product_id, on_hand, reserved, damaged, safety in rows:
        totals[product_id] += max(on_hand - reserved - damaged - safety, 0)
    return totals


def _location_stock(row: StockLevel) -> LocationStock:
    return LocationStock(
        location=row.location.code, on_hand=row.on_hand, reserved=row.reserved, incoming=row.incoming,
        damaged=row.damaged, safety_stock=row.safety_stock, available=max(row.available, 0),
    )


# --- per sales channel -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPool:
    """The stock one sales channel may promise, and take, from its :class:`ChannelStockRule`.

    The computation, per SKU (:meth:`may_take`):

    1. pool: the sum of ``max(available, 0)`` over the locations that sell for the channel:
       the rule's locations that are active (a store named there sells over its counter even if
       it does not ship), or, when the rule names none, every active location that ships;
    2. share: with ``share_percent``, that percentage of the pool, rounded down (a marketplace
       may be offered 50% so two channels cannot sell the same last units);
    3. buffer: ``buffer_units`` are then held back; the result never goes below zero.

    The published figure (:func:`stock_for_sku`, :func:`available_to_promise_for_skus`) and order
    intake (``orders.services.allocation``, on the stock rows it locked) both ask :meth:`may_take`,
    so what a channel shows is what its next order can reserve. The share is of what is free at
    that moment: each order takes at most the figure the channel showed just before it.

    A channel without a rule gets the plain available-to-promise (all of step 1, nothing held back).
    """

    channel: str
    location_ids: frozenset[int] | None = None  # None: every active location that ships
    share_percent: int | None = None
    buffer_units: int = 0

    @property
    def limited(self) -> bool:
        """Whether the rule takes anything from the plain available-to-promise."""
        return self.location_ids is not None or self.share_percent is not None or self.buffer_units > 0

    def allows(self, location_id: int) -> bool:
        """Whether the rule lets the channel sell from this (active) location."""
        return self.location_ids is None or location_id in self.location_ids

    def sells_from(self, location: Location) -> bool:
        if not location.is_active:
            return False
        if self.location_ids is None:
            return location.can_ship
        return location.pk in self.location_ids

    def promise(self, pooled: int) -> int:
        shared = pooled if self.share_percent is None else pooled * self.share_percent // 100
        return max(shared - self.buffer_units, 0)

    def may_take(self, available: Iterable[int]) -> int:
        """Units of one SKU the channel may promise and reserve, from ``available`` at each
        location that sells for it (steps 1 to 3 above)."""
        return self.promise(sum(max(units, 0) for units in available))


def _pool_of(rule: ChannelStockRule, location_ids: Iterable[int]) -> ChannelPool:
    return ChannelPool(
        channel=rule.channel_code, location_ids=frozenset(location_ids) or None, share_percent=rule.share_percent, buffer_units=rule.buffer_units
    )


def channel_pool(channel: str) -> ChannelPool:
    """The :class:`ChannelPool` of a channel code (the plain pool when it has no rule), read now."""
    rule = ChannelStockRule.objects.filter(channel_code=channel).prefetch_related("locations").first() if "\x00" not in channel else None
    if rule is None:
        return ChannelPool(channel=channel)
    return _pool_of(rule, (location.pk for location in rule.locations.all()))


class _PoolMemo:
    pools: dict[str, ChannelPool] | None = None
    read_at: float = 0.0
    version: str | None = None  # None: read without a version (only its age says when to read again)


_pool_memo = _PoolMemo()


def channel_rules_version_sql() -> str:
    """Three columns giving the channel stock rules' version, to embed in a statement the hot path
    already runs: how many rules there are, the latest save, and the location links (their ids'
    sum changes with any link added or removed)."""
    rules, links = ChannelStockRule._meta.db_table, ChannelStockRule.locations.through._meta.db_table
    return f"(SELECT COUNT(*) FROM {rules}), (SELECT MAX(updated_at) FROM {rules}), (SELECT SUM(id) FROM {links})"


def channel_rules_version_of(*columns) -> str:
    return ":".join(str(column) for column in columns)


def channel_pool_cached(channel: str, *, max_age_seconds: float, version: str | None = None) -> ChannelPool:
    """:func:`channel_pool` for the hot path (order intake): an order pays no query for its
    channel's rule. Every rule is read (two queries) when ``version`` (from
    :func:`channel_rules_version_sql`, which intake reads with its channel) differs from the one
    they were read at, so a change applies to the next order in every process; without a
    version, at most once per ``max_age_seconds`` per process."""
    now = time.monotonic()
    pools = _pool_memo.pools
    if version is not None:
        stale = pools is None or _pool_memo.version != version
    else:
        stale = pools is None or now - _pool_memo.read_at >= max_age_seconds
    if stale:
        rules = list(ChannelStockRule.objects.all())
        links: dict[int, list[int]] = {}
        for rule_id, location_id in ChannelStockRule.locations.through.objects.values_list("channelstockrule_id", "location_id"):
            links.setdefault(rule_id, []).append(location_id)
        pools = {rule.channel_code: _pool_of(rule, links.get(rule.pk, ())) for rule in rules}
        _pool_memo.pools, _pool_memo.read_at, _pool_memo.version = pools, now, version
    return pools.get(channel) or ChannelPool(channel=channel)


def channel_pool_forget() -> None:
    """Drop this process's copy of the rules (the admin calls it after a save; tests start clean)."""
    _pool_memo.pools, _pool_memo.read_at, _pool_memo.version = None, 0.0, None


def channel_allowances(pool: ChannelPool, available: dict[tuple[int, int], int]) -> dict[int, int]:
    """What the channel may take of each product now (:meth:`ChannelPool.may_take`), from
    ``available`` units per ``(product_id, location_id)`` at active locations: the stock rows an
    allocation locked, so no other transaction can change the answer before it reserves."""
    by_product: dict[int, list[int]] = {}
    for (product_id, location_id), units in available.items():
        by_product.setdefault(product_id, [])
        if pool.allows(location_id):
            by_product[product_id].append(units)
    return {product_id: pool.may_take(units) for product_id, units in by_product.items()}


@dataclass
class SkuPromise:
    sku: str
    available_to_promise: int
    incoming: int


def available_to_promise_for_skus(products: Iterable[Product], *, channel: str | None = None) -> list[SkuPromise]:
    """What can be promised of each product (per channel when given), in the order given, in a
    fixed number of queries however many products are asked for."""
    products = list(products)
    pool = channel_pool(channel) if channel is not None else ChannelPool(channel="")
    pooled: dict[int, list[int]] = {product.pk: [] for product in products}
    incoming = dict.fromkeys(pooled, 0)
    rows = StockLevel.objects.filter(product_id__in=pooled).select_related("location")
    for row in rows:
        if pool.sells_from(row.location):
            pooled[row.product_id].append(row.available)
            incoming[row.product_id] += row.incoming
    return [SkuPromise(product.sku, pool.may_take(pooled[product.pk]), incoming[product.pk]) for product in products]


def available_to_promise_by_location_group(
    product_ids: Iterable[int], *, channel: str, groups: Mapping[str, frozenset[int] | None],
) -> dict[str, dict[int, int]]:
    """``{group key: {product id: figure}}``: what the channel may promise of each product from
    each group of locations (a channel's platform location fed by some of the OMS's). Per group,
    the pool is the group's locations the channel's rule sells from (``None``: all of them), and
    the rule's share and buffer apply to that group's figure, as :meth:`ChannelPool.may_take` does
    to the whole. Three queries however many groups and products."""
    product_ids = list(product_ids)
    pool = channel_pool(channel)
    pooled = {key: {pk: [] for pk in product_ids} for key in groups}
    rows = StockLevel.objects.filter(product_id__in=product_ids).select_related("location").only(
        "product", "location", "on_hand", "reserved", "damaged", "safety_stock", "location__is_active", "location__can_ship",
    )
    for row in rows:
        if not pool.sells_from(row.location):
            continue
        for key, location_ids in groups.items():
            if location_ids is None or row.location_id in location_ids:
                pooled[key][row.product_id].append(row.available)
    return {key: {pk: pool.may_take(units) for pk, units in by_product.items()} for key, by_product in pooled.items()}


def channel_sells_from(channel: str, location_ids: Iterable[int]) -> tuple[list[Location], list[Location]]:
    """The given locations split into those the channel's stock rule sells from and those it does
    not (inactive, or outside the rule; with no locations named, those that do not ship)."""
    pool = channel_pool(channel)
    allowed, refused = [], []
    for location in Location.objects.filter(pk__in=list(location_ids)).order_by("code"):
        (allowed if pool.sells_from(location) else refused).append(location)
    return allowed, refused


def channel_stock_feed(channel: str, *, chunk_size: int = 2000) -> Iterator[tuple[str, int]]:
    """``(sku, figure)`` of every active product, by SKU, as the channel may promise it (the
    figure :func:`available_to_promise_for_skus` gives), streamed from one query (two with the
    rule) however many products there are."""
    pool = channel_pool(channel)
    if pool.location_ids is None:
        sells = Q(stock_levels__location__is_active=True, stock_levels__location__can_ship=True)
    else:
        sells = Q(stock_levels__location__is_active=True, stock_levels__location_id__in=sorted(pool.location_ids))
    available = Greatest(
        F("stock_levels__on_hand") - F("stock_levels__reserved") - F("stock_levels__damaged") - F("stock_levels__safety_stock"), Value(0)
    )
    rows = (
        Product.objects.filter(is_active=True).order_by("sku")
        .annotate(pooled=Coalesce(Sum(available, filter=sells), Value(0)))
        .values_list("sku", "pooled")
    )
    for sku, pooled in rows.iterator(chunk_size=chunk_size):
        yield sku, pool.promise(pooled)


def channel_stock_feed_version(channel: str) -> tuple[str, object]:
    """An ETag and a Last-Modified for :func:`channel_stock_feed`: they change when the ledger,
    the catalogue, the locations or the channel's rule change (four aggregate reads, no scan)."""
    newest_movement = StockMovement.objects.aggregate(newest=Max("id"), at=Max("created_at"))
    products = Product.objects.aggregate(at=Max("updated_at"), count=Count("id"))
    locations = Location.objects.aggregate(versions=Sum("version"), count=Count("id"))  # each change raises a version
    rule = ChannelStockRule.objects.filter(channel_code=channel).values_list("updated_at", flat=True).first()
    stamps = [stamp for stamp in (newest_movement["at"], products["at"], rule) if stamp is not None]
    parts = (channel, newest_movement["newest"], products["count"], locations["versions"], locations["count"], *(s.isoformat() for s in stamps))
    etag = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return etag, max(stamps) if stamps else None


# --- listings for the API ------------------------------------------------------------------------


def _sellable_available() -> Subquery:
    """Per product (OuterRef ``product_id``): available-to-promise, as :func:`available_to_promise` counts it."""
    available = Greatest(F("on_hand") - F("reserved") - F("damaged") - F("safety_stock"), Value(0))
    total = (
        StockLevel.objects.filter(product_id=OuterRef("product_id"), location__is_active=True, location__can_ship=True)
        .order_by()
        .values("product_id")
        .annotate(total=Sum(available))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


def stock_levels_listing() -> QuerySet[StockLevel]:
    """Stock rows with their SKU and location code (one query per page)."""
    return StockLevel.objects.select_related("product", "location").only(
        "id", "on_hand", "reserved", "incoming", "damaged", "safety_stock", "updated_at",
        "product__id", "product__sku", "product__low_stock_threshold", "location__id", "location__code",
    )


def stock_levels_below_threshold(queryset: QuerySet[StockLevel], below: bool) -> QuerySet[StockLevel]:
    """Rows of products whose available-to-promise is at or below their low-stock threshold
    (``below``), or of all the others."""
    low = Q(product__low_stock_threshold__gt=0, product_atp__lte=F("product__low_stock_threshold"))
    queryset = queryset.annotate(product_atp=_sellable_available())
    return queryset.filter(low) if below else queryset.exclude(low)


def stock_movements_listing() -> QuerySet[StockMovement]:
    """Ledger rows with their SKU and location code (one query per page)."""
    return StockMovement.objects.select_related("product", "location").only(
        *(f.name for f in StockMovement._meta.concrete_fields if f.name not in ("product", "location", "actor")),
        "product__id", "product__sku", "location__id", "location__code",
    )


COUNTERS = ("on_hand", "reserved", "incoming", "damaged", "safety_stock")


def ledger_mismatches() -> list[dict]:
    """Stock rows whose counters differ from the sums of their ledger rows (should be none)."""
    sums = {
        (row["product_id"], row["location_id"]): row
        for row in StockMovement.objects.values("product_id", "location_id").annotate(
            **{name: Sum(f"{name}_delta") for name in COUNTERS}
        )
    }
    mismatches = []
    for level in StockLevel.objects.values("product_id", "location_id", *COUNTERS):
        ledger = sums.pop((level["product_id"], level["location_id"]), None) or dict.fromkeys(COUNTERS, 0)
        diff = {name: (level[name], ledger[name] or 0) for name in COUNTERS if level[name] != (ledger[name] or 0)}
        if diff:
            mismatches.append({"product_id": level["product_id"], "location_id": level["location_id"], "counter_vs_ledger": diff})
    for (product_id, location_id), ledger in sums.items():
        if any(ledger[name] for name in COUNTERS):
            mismatches.append({"product_id": product_id, "location_id": location_id, "counter_vs_ledger": "no stock row"})
    return mismatches


def bins_listing(*, location_id: int) -> QuerySet[Bin]:
    """A location's bins with the SKUs kept in each, in a constant number of queries."""
    return Bin.objects.filter(location_id=location_id).select_related("location").prefetch_related(
        Prefetch("stock_levels", queryset=StockLevel.objects.select_related("product").only("bin_id", "product__sku"))
    )
