"""Reads about returns, with the prefetching that keeps query counts constant."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Prefetch, Q, QuerySet, Sum

from inventory.models import Product
from oms.errors import NotFound
from orders.models import OrderEvent, OrderLine, OrderStatus

from .models import OPEN_STATUSES, Refund, ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest


def return_policy_for(channel_id: int) -> ReturnPolicy:
    """The channel's own policy, else the default one, else the built-in defaults (unsaved)."""
    policies = {policy.channel_id: policy for policy in ReturnPolicy.objects.filter(Q(channel_id=channel_id) | Q(channel__isnull=True))}
    if not policies:
        policies = {None: ReturnPolicy(name="Built-in defaults")}
    return policies.get(channel_id) or policies.get(None) or next(iter(policies.values()))


def order_return_clock(order_id: int) -> tuple[datetime | None, str]:
    """When the return window of an order started, and from what: its delivery, else its last
    shipment (when no delivery scan came), else ``(None, "")``."""
    rows = list(
        OrderEvent.objects.filter(
            order_id=order_id, kind=OrderEvent.Kind.STATUS,
            to_status__in=[OrderStatus.DELIVERED, OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED],
        ).order_by("created_at", "id").values_list("to_status", "created_at")
    )
    delivered = [at for status, at in rows if status == OrderStatus.DELIVERED]
    if delivered:
        return delivered[0], "delivery"
    if rows:
        return rows[-1][1], "shipment"
    return None, ""


def order_lines_committed(order_id: int, *, exclude_return_id: int | None = None) -> dict[int, int]:
    """Per order line id: units still expected on open returns of the order (requested and not
    received nor given up as missing)."""
    lines = ReturnLine.objects.filter(request__order_id=order_id, request__status__in=OPEN_STATUSES)
    if exclude_return_id is not None:
        lines = lines.exclude(request_id=exclude_return_id)
    return dict(
        lines.order_by().values("order_line_id")
        .annotate(outstanding=Sum(F("quantity") - F("quantity_received") - F("quantity_missing")))
        .values_list("order_line_id", "outstanding")
    )


def returns_listing() -> QuerySet[ReturnRequest]:
    """Returns as lists show them: the order and channel joined, nothing per row."""
    return ReturnRequest.objects.select_related("order", "order__channel", "location")


def return_lines_of(return_id: int) -> list[ReturnLine]:
    return list(ReturnLine.objects.filter(request_id=return_id).select_related("order_line", "order_line__product", "reason").order_by("id"))


def returns_with_details() -> QuerySet[ReturnRequest]:
    """Returns with their lines (order line, reason, replacement) and refunds in a fixed number of queries."""
    return returns_listing().select_related("exchange_order").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line", "reason", "exchange_product").order_by("id"), to_attr="line_list"),
        Prefetch("refunds", queryset=Refund.objects.order_by("id"), to_attr="refund_list"),
    )


def refund_of_return(return_id: int, refund_id: int) -> int:
    """The id of that refund of that return; :class:`NotFound` when the return has no such refund."""
    if not Refund.objects.filter(pk=refund_id, request_id=return_id).exists():
        raise NotFound(f"The return has no refund {refund_id}.", code="unknown_refund")
    return refund_id


def return_with_details(return_id: int) -> ReturnRequest:
    return returns_with_details().get(pk=return_id)


def return_events(return_id: int) -> QuerySet[ReturnEvent]:
    return ReturnEvent.objects.filter(request_id=return_id).select_related("actor").order_by("id")


def return_id_for_number(number: str) -> int:
    """The id of the return with this number (``RMA-000123``); :class:`NotFound` when there is none."""
    # A NUL byte cannot be in any stored number, and PostgreSQL refuses it in a query.
    found = ReturnRequest.objects.filter(number=number).values_list("pk", flat=True).first() if "\x00" not in number else None
    if found is None:
        raise NotFound(f"No return with number {number!r}.", code="unknown_return")
    return found


def scanned_codes_as_skus(codes, *, lines: list[ReturnLine]) -> dict[str, str]:
    """What each scanned code names, as a SKU: the SKU itself, or the SKU of the product whose
    GTIN it is (the return's own products first, then any product). Codes nothing knows map to
    themselves (recorded as unexpected). One query at most, whatever the number of scans."""
    codes = {code for code in codes if code}
    result = {}
    for line in lines:
        product = line.order_line.product
        result[line.order_line.sku] = line.order_line.sku
        if product is not None and product.gtin:
            result.setdefault(product.gtin, line.order_line.sku)
    unknown = codes - set(result)
    if unknown:
        by_gtin = dict(Product.objects.filter(gtin__in=unknown).order_by("pk").values_list("gtin", "sku"))
        result.update({code: by_gtin.get(code, code) for code in unknown})
    return {code: result[code] for code in codes}


@dataclass(frozen=True)
class ReturnableLine:
    """An order line as a return form shows it: how many units may still come back."""

    line: OrderLine
    on_open_returns: int

    @property
    def left(self) -> int:
        return max(self.line.quantity_shipped - self.line.quantity_returned - self.on_open_returns, 0)


def order_lines_returnable(order_id: int) -> list[ReturnableLine]:
    """The order's shipped lines with what may still come back of each (shipped, minus returned,
    minus units on open returns), by line number; two queries whatever the order's size."""
    committed = order_lines_committed(order_id)
    lines = OrderLine.objects.filter(order_id=order_id, quantity_shipped__gt=0).select_related("product").order_by("line_number")
    return [ReturnableLine(line=line, on_open_returns=committed.get(line.pk, 0)) for line in lines]


def product_family(sku: str) -> str:
    """The family a SKU belongs to: its code without the last ``-`` part (``TEE-BLUE-M`` is of
    ``TEE-BLUE``, as its other sizes); a SKU without one is a family of its own."""
    return sku.rsplit("-", 1)[0] if "-" in sku else sku


def exchange_candidates(skus, *, currency: str) -> dict[str, list[Product]]:
    """Per SKU: what an exchange may send in its place, the active products of its family priced
    in ``currency`` (itself included), by SKU. One query for all of them."""
    families = {sku: product_family(sku) for sku in skus}
    if not families:
        return {}
    wanted = Q()
    for family in set(families.values()):
        wanted |= Q(sku=family) | Q(sku__startswith=f"{family}-")
    products = list(Product.objects.filter(wanted, is_active=True, currency=currency).order_by("sku"))
    return {
        sku: [product for product in products if product.sku == family or product.sku.startswith(f"{family}-")]
        for sku, family in families.items()
    }
