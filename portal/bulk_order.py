"""Ordering in bulk from the portal (business accounts): rows of SKU and quantity checked line by
line the way intake will judge them, then placed through intake itself.

The check (:func:`bulk_order_check`) reads what intake reads, with today's prices and the
customer group's catalogue rules: unknown or no longer sold SKUs, SKUs outside the catalogue,
quantities a rule refuses, and lines no price list (nor the catalogue, in the order's currency)
prices are errors; rounding up to minimums and case packs, merged duplicate rows and stock that
will not cover a line are said on the line. Placing (:func:`bulk_order_place`) hands the same
rows to :func:`orders.services.order_intake` on the portal's channel, once per form token.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.catalogue import catalogue_for
from customers.models import Customer, CustomerAddress, CustomerGroup, PriceList
from customers.pricing import contract_prices
from inventory.selectors import available_to_promise_for_skus, products_by_sku
from inventory.selectors_purchasing import incoming_arrivals
from oms.errors import DomainError, InvalidInput
from oms.money import quantize
from orders.models import Channel, Order, PaymentStatus
from orders.services import AddressData, LineData, OrderIntakeData, order_intake

from .bulk_rows import BulkRow, rows_as_text
from .order_actions import portal_actor

# Without a price list, a business buys in its group's credit currency, else in this one.
FALLBACK_CURRENCY = "USD"


@dataclass
class CheckedLine:
    """One line of the preview: the SKU, what was asked and what will be ordered, its price, and
    what is wrong (``errors``: blocks the order) or worth knowing (``notes``, ``warnings``)."""

    sku: str
    rows: list[int]
    requested: int | None
    quantity: int | None = None
    name: str = ""
    unit_price: Decimal | None = None
    price_source: str = ""
    from_contract: bool = False
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def line_total(self) -> Decimal | None:
        if self.unit_price is None or self.quantity is None or self.errors:
            return None
        return self.unit_price * self.quantity

    @property
    def row_text(self) -> str:
        return ", ".join(str(number) for number in self.rows)


@dataclass
class BulkCheck:
    lines: list[CheckedLine]
    currency: str

    @property
    def ready(self) -> bool:
        """Every line can be ordered as shown."""
        return bool(self.lines) and not any(line.errors for line in self.lines)

    @property
    def error_count(self) -> int:
        return sum(1 for line in self.lines if line.errors)

    @property
    def total(self) -> Decimal:
        return sum((line.line_total or Decimal(0) for line in self.lines), Decimal(0))

    def wanted(self) -> list[tuple[str, int]]:
        """(SKU, quantity asked) per line: what placing hands to intake (which rounds as shown)."""
        return [(line.sku, line.requested) for line in self.lines if line.requested is not None]

    def digest(self) -> str:
        """Names what was checked: placing refuses rows that changed since."""
        return hashlib.sha256(rows_as_text(self.wanted()).encode()).hexdigest()[:32]


def portal_order_channel() -> Channel:
    """The channel portal orders are recorded under (``OMS_PORTAL_ORDER_CHANNEL``, kind B2B),
    created on the first portal order when the shop has none."""
    channel, _created = Channel.objects.get_or_create(
        code=settings.OMS_PORTAL_ORDER_CHANNEL, defaults={"name": "B2B portal", "kind": Channel.Kind.B2B},
    )
    return channel


def portal_order_currency(customer: Customer, *, on: datetime.date) -> str:
    """The currency the customer buys in: its own price list's valid today, else its group's,
    else the group's credit currency, else :data:`FALLBACK_CURRENCY`."""
    owner = Q(customer_id=customer.pk) | (Q(customer_group_id=customer.group_id) if customer.group_id else Q(pk__in=[]))
    lists = (
        PriceList.objects.filter(owner)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .values_list("customer_id", "currency")
    )
    currencies = sorted(lists, key=lambda row: row[0] is None)  # the customer's own first
    if currencies:
        return currencies[0][1]
    group = customer.group
    return group.credit_currency if group else FALLBACK_CURRENCY


def _merged(rows: list[BulkRow]) -> list[CheckedLine]:
    """One line per SKU (rows of one SKU add up, and say so); rows with a shape problem stay apart."""
    lines: list[CheckedLine] = []
    by_sku: dict[str, CheckedLine] = {}
    for row in rows:
        if row.problem:
            lines.append(CheckedLine(sku=row.sku, rows=[row.number], requested=None, errors=[row.problem]))
            continue
        line = by_sku.get(row.sku)
        if line is None:
            by_sku[row.sku] = line = CheckedLine(sku=row.sku, rows=[row.number], requested=row.quantity)
            lines.append(line)
        else:
            line.rows.append(row.number)
            line.requested += row.quantity
    for line in by_sku.values():
        if len(line.rows) > 1:
            line.notes.append(_("Rows %(rows)s name the same SKU: merged into one line of %(quantity)d.") % {"rows": line.row_text, "quantity": line.requested})
    return lines


def bulk_order_check(customer: Customer, rows: list[BulkRow], *, on: datetime.date | None = None) -> BulkCheck:
    """Every line judged as intake will judge it today, in a fixed number of queries."""
    on = on or timezone.localdate()
    currency = portal_order_currency(customer, on=on)
    lines = _merged(rows)
    candidates = [line for line in lines if not line.errors]
    products = products_by_sku(line.sku for line in candidates)
    group = CustomerGroup.objects.filter(pk=customer.group_id).first() if customer.group_id else None
    catalogue = catalogue_for(group, skus=products, categories=(p.category for p in products.values()))
    for line in candidates:
        product = products.get(line.sku)
        if product is None:
            line.errors.append(_("Unknown SKU: check its spelling against your catalogue."))
            continue
        line.name = product.name
        if not product.is_active:
            line.errors.append(_("No longer sold: remove the line."))
            continue
        verdict = catalogue.judge(line.sku, product.category, line.requested)
        if verdict.refused:
            line.errors.append(str(verdict.refused))
            continue
        line.quantity = verdict.quantity
        if verdict.rounded:
            terms = catalogue.terms(catalogue.rule_for(line.sku, product.category))
            line.notes.append(_("Rounded up from %(asked)d to %(quantity)d: sold %(terms)s.") % {
                "asked": line.requested, "quantity": verdict.quantity, "terms": terms,
            })
    priceable = [line for line in candidates if line.quantity is not None]
    prices = contract_prices(customer, currency=currency, skus=(line.sku for line in priceable), on=on)
    for line in priceable:
        product = products[line.sku]
        contract = prices.for_line(line.sku, line.quantity) if prices else None
        if contract is not None:
            line.unit_price, line.from_contract = quantize(contract.price, currency), True
            line.price_source = _("Your price list %(list)s") % {"list": contract.price_list.name} + (
                _(", from %(units)d units") % {"units": contract.min_quantity} if contract.min_quantity > 1 else ""
            )
        elif product.currency == currency and product.price > 0:
            line.unit_price, line.price_source = quantize(product.price, currency), _("Catalogue price")
        else:
            line.errors.append(_("We have no price for you for this SKU in %(currency)s: remove the line or ask us to add it to your price list.") % {
                "currency": currency,
            })
    _stock_warnings([line for line in priceable if not line.errors], products)
    return BulkCheck(lines=lines, currency=currency)


def _stock_warnings(lines: list[CheckedLine], products: dict) -> None:
    """A line that stock on hand will not cover is said to be backordered, with the next arrival
    an open purchase order expects, if there is one."""
    if not lines:
        return
    promised = {promise.sku: promise.available_to_promise for promise in
                available_to_promise_for_skus([products[line.sku] for line in lines], channel=settings.OMS_PORTAL_ORDER_CHANNEL)}
    short = [line for line in lines if promised.get(line.sku, 0) < line.quantity]
    arrivals = incoming_arrivals((products[line.sku].pk for line in short), shipping_only=True) if short else {}
    for line in short:
        available = promised.get(line.sku, 0)
        dated = [arrival.date for arrival in arrivals.get(products[line.sku].pk, []) if arrival.date]
        if available:
            words = _("Only %(available)d in stock now: the other %(rest)d will be backordered.") % {"available": available, "rest": line.quantity - available}
        else:
            words = _("Out of stock now: the line will be backordered.")
        if dated:
            words += " " + _("More is expected on %(date)s.") % {"date": date_format(dated[0], "DATE_FORMAT")}
        line.warnings.append(words)


class BulkNotReady(DomainError):
    """The rows no longer pass the check (prices, catalogue or stock changed): shown again."""

    code = "bulk_not_ready"
    status_code = 409

    def __init__(self, check: BulkCheck):
        super().__init__("Some lines cannot be ordered as they are.")
        self.check = check


def _address_data(address: CustomerAddress) -> AddressData:
    name = f"{address.name}, {address.company}" if address.company else address.name
    return AddressData(
        name=name[:255], line1=address.line1, line2=address.line2, city=address.city, region=address.region,
        postal_code=address.postal_code, country=str(address.country), phone=str(address.phone or ""),
    )


def ship_to_addresses(customer: Customer):
    return CustomerAddress.objects.filter(customer=customer, kind=CustomerAddress.Kind.SHIPPING).order_by("-is_default_shipping", "label", "id")


def bulk_order_place(*, customer: Customer, rows: list[BulkRow], address_id: int, po_reference: str, token: str) -> Order:
    """Place the checked rows as one order through intake, shipped to one of the customer's own
    ship-to addresses, at most once per ``token`` (the same token again returns the order it
    placed). Raises :class:`BulkNotReady` when a line no longer passes the check, and intake's
    :class:`InvalidInput` (e.g. a purchase-order reference the account requires) unchanged."""
    address = ship_to_addresses(customer).filter(pk=address_id).first()
    if address is None:
        raise InvalidInput("Not one of your ship-to addresses.", fields={"address": [_("Choose one of your ship-to addresses.")]})
    check = bulk_order_check(customer, rows)
    if not check.ready:
        raise BulkNotReady(check)
    billing = CustomerAddress.objects.filter(customer=customer, is_default_billing=True).first()
    prices = {line.sku: (None if line.from_contract else line.unit_price) for line in check.lines}
    data = OrderIntakeData(
        channel=portal_order_channel().code,
        external_id=f"portal-{token}",
        currency=check.currency,
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        shipping_address=_address_data(address),
        billing_address=_address_data(billing) if billing else None,
        lines=[LineData(sku=sku, quantity=quantity, unit_price=prices[sku]) for sku, quantity in check.wanted()],
        payment_status=PaymentStatus.PENDING,
        po_reference=po_reference,
    )
    order = order_intake(data=data, actor=portal_actor(customer.pk)).order
    if order.customer_id != customer.pk:  # a token is random: this is someone replaying another's form
        raise InvalidInput("This form was already used.", fields={"__all__": [_("This form was already used: check the lines again.")]})
    return order


def reorder_rows(customer: Customer, number: str) -> list[tuple[str, int]] | None:
    """(SKU, quantity) of each line of the customer's own order ``number``; None for any other."""
    order = Order.objects.filter(customer_id=customer.pk, number=number).first()
    if order is None:
        return None
    return list(order.lines.order_by("line_number").values_list("sku", "quantity"))
