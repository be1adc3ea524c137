"""Reads of suppliers and purchase orders, and the dated ``incoming`` that open POs promise.

Each function runs a fixed number of queries whatever the number of rows.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from oms.money import quantize

from .models_purchasing import PO_OPEN, PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine, Supplier, SupplierProduct


@dataclass(frozen=True)
class Arrival:
    """Units of one SKU an open PO should bring to a location on a date (None: no date known)."""

    date: datetime.date | None
    quantity: int
    location: str
    purchase_order: str


def _arrival_key(arrival: Arrival):
    return (arrival.date is None, arrival.date or datetime.date.min, arrival.purchase_order, arrival.location)


def incoming_arrivals(product_ids: Iterable[int], *, shipping_only: bool = False) -> dict[int, list[Arrival]]:
    """Open PO quantities per product id, soonest first (undated last), in one query.

    A line's date is its own expected date, else its PO's. ``shipping_only``: only arrivals at
    active locations that ship (what an order can be served from).
    """
    ids = set(product_ids)
    result: dict[int, list[Arrival]] = {pk: [] for pk in ids}
    if not ids:
        return result
    lines = (
        PurchaseOrderLine.objects.filter(product_id__in=ids, purchase_order__status__in=PO_OPEN)
        .annotate(open=F("quantity_ordered") - F("quantity_received") - F("quantity_released"))
        .filter(open__gt=0)
        .annotate(when=Coalesce("expected_date", "purchase_order__expected_date"))
    )
    if shipping_only:
        lines = lines.filter(purchase_order__location__is_active=True, purchase_order__location__can_ship=True)
    rows = lines.values_list("product_id", "when", "open", "purchase_order__location__code", "purchase_order__number")
    for product_id, when, quantity, location, number in rows:
        result[product_id].append(Arrival(date=when, quantity=quantity, location=location, purchase_order=number))
    for arrivals in result.values():
        arrivals.sort(key=_arrival_key)
    return result


def arrival_date_covering(arrivals: list[Arrival], units: int) -> datetime.date | None:
    """The first date by which ``arrivals`` (soonest first) add up to ``units``; None when the dated
    arrivals never cover them."""
    if units <= 0:
        return None
    total = 0
    for arrival in arrivals:
        if arrival.date is None:
            return None
        total += arrival.quantity
        if total >= units:
            return arrival.date
    return None


def expected_dates_for(shortfalls: Iterable[tuple[int, int]]) -> dict[int, datetime.date | None]:
    """For ``(product id, units short)`` pairs: when open POs to shipping locations cover those
    units, per product (the shortfalls of one product are added up). One query."""
    needed: dict[int, int] = defaultdict(int)
    for product_id, units in shortfalls:
        if product_id is not None and units > 0:
            needed[product_id] += units
    arrivals = incoming_arrivals(needed, shipping_only=True)
    return {product_id: arrival_date_covering(arrivals[product_id], units) for product_id, units in needed.items()}


def suppliers_listing() -> QuerySet[Supplier]:
    return Supplier.objects.all()


def supplier_products_listing() -> QuerySet[SupplierProduct]:
    return SupplierProduct.objects.select_related("supplier", "product")


class _PurchaseOrdersWithLines(QuerySet):
    """Purchase orders that bring their lines (``line_list``, with products) when read: two queries a page."""

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._result_cache and isinstance(self._result_cache[0], PurchaseOrder):
            lines_of = defaultdict(list)
            ids = [po.pk for po in self._result_cache]
            for line in PurchaseOrderLine.objects.filter(purchase_order_id__in=ids).select_related("product").order_by("line_number"):
                lines_of[line.purchase_order_id].append(line)
            for po in self._result_cache:
                po.line_list = lines_of[po.pk]


def purchase_orders_listing() -> QuerySet[PurchaseOrder]:
    """Purchase orders with supplier, location and ``line_list``: a fixed number of queries per page."""
    return _PurchaseOrdersWithLines(model=PurchaseOrder).select_related("supplier", "location")


@dataclass(frozen=True)
class MinimumShortfall:
    """How far an order is below its supplier's minimum order (units and/or value)."""

    minimum_units: int | None
    minimum_value: Decimal | None
    units: int
    value: Decimal
    currency: str

    @property
    def missing_units(self) -> int:
        return max(0, (self.minimum_units or 0) - self.units)

    @property
    def missing_value(self) -> Decimal:
        return max(Decimal(0), (self.minimum_value or Decimal(0)) - self.value)

    @property
    def note(self) -> str:
        minimum = " / ".join(filter(None, [
            f"{self.minimum_units} units" if self.minimum_units else "",
            f"{self.minimum_value} {self.currency}" if self.minimum_value else "",
        ]))
        missing = " and ".join(filter(None, [
            f"{self.missing_units} more unit{'s' if self.missing_units != 1 else ''}" if self.missing_units else "",
            f"{self.missing_value} {self.currency} more" if self.missing_value else "",
        ]))
        return (f"Below the supplier's minimum of {minimum} (this order: {self.units} units / {self.value} {self.currency}): "
                f"add {missing} or leave it for the next review.")


def minimum_shortfall(supplier: Supplier, *, units: int, value: Decimal) -> MinimumShortfall | None:
    """None when an order of ``units`` worth ``value`` (the supplier's currency) meets the supplier's
    minimum order, else what is missing. Nothing is rounded up: the buyer decides."""
    minimum_value = quantize(supplier.minimum_order_value, supplier.currency) if supplier.minimum_order_value else None
    value = quantize(value, supplier.currency)
    if (supplier.minimum_order_units or 0) <= units and (minimum_value is None or minimum_value <= value):
        return None
    return MinimumShortfall(minimum_units=supplier.minimum_order_units, minimum_value=minimum_value, units=units, value=value,
                            currency=supplier.currency)


def purchase_order_shortfall(po: PurchaseOrder, lines) -> MinimumShortfall | None:
    """A PO's shortfall against its supplier's minimum, from its ordered quantities and costs."""
    return minimum_shortfall(po.supplier, units=sum(line.quantity_ordered for line in lines),
                             value=sum((line.quantity_ordered * line.unit_cost for line in lines), Decimal(0)))


def purchase_order_events(purchase_order_id: int) -> QuerySet[PurchaseOrderEvent]:
    return PurchaseOrderEvent.objects.filter(purchase_order_id=purchase_order_id).order_by("id")
