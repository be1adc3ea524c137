"""Order intake: every channel (API, admin phone orders, marketplaces) comes through here.

Malformed input is refused with field-level errors and nothing is written. Valid but doubtful
orders are recorded and held with typed reasons. Valid orders reserve their stock in the same
transaction, so an accepted order never sells stock twice.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime, timedelta
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date

from customers.models import Customer, CustomerGroup, po_reference_required_for
from customers.catalogue import catalogue_for
from customers.pricing import NO_CONTRACT, ContractPrice, ContractPrices, contract_prices
from customers.services import customer_upsert
from customers.store_credit import store_credit_spend
from inventory.models import Product
from inventory.selectors import channel_rules_version_of, channel_rules_version_sql, products_by_sku
from inventory.services import StockChange, stock_reserve
from oms import geo
from oms.actors import Actor
from oms.db import rows_insert, statements_pipelined
from oms.errors import InvalidInput
from oms.events import events_record
from oms.money import MAX_AMOUNT, is_currency, money_text, parse_amount, quantize

from ..models import (
    Allocation, Channel, HoldReason, Invoice, InvoiceStatus, Order, OrderEvent, OrderHold, OrderLine, OrderStatus, PaymentStatus,
    invoice_open_balance_expression, order_number_for,
)
from ..routing import HOLD, Decision, Need
from ..routing.config import routing_rules_for, strategies_version_sql, version_of
from ..routing.explain import decision_record, routing_with, shortage_text
from .allocation import StockView, destination_of
from .audit import STATUS_EVENTS, order_event, order_payload, order_stream
from .replanning import replan_arrival
from .screening import order_screen, platform_risk_level, screening_version_of, screening_version_sql

MAX_LINES = 500
REGION_REQUIRED = {"US", "CA", "AU", "BR", "MX", "IN"}
INTAKE_PAYMENT_STATUSES = (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.PAID)
# What the columns hold: beyond these the database would refuse the row with an error nobody can act on.
MAX_QUANTITY = 2**31 - 1
MAX_EMAIL_LENGTH = Customer._meta.get_field("email").max_length


MAX_PICKUP_POINT_ID = 64
MAX_PICKUP_POINT_NAME = 200
MAX_PO_REFERENCE = Order._meta.get_field("po_reference").max_length


@dataclass
class AddressData:
    country: str
    name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    phone: str = ""
    # A shipping address may name the pickup point or locker the customer chose (the carrier's id
    # of it, and its name): the parcel then goes there with a pickup-point service, never to the door.
    pickup_point: str = ""
    pickup_point_name: str = ""

    def as_dict(self) -> dict:
        stored = {k: getattr(self, k) for k in ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")}
        if self.pickup_point:
            stored.update(pickup_point=self.pickup_point, pickup_point_name=self.pickup_point_name)
        return stored


@dataclass
class LineData:
    sku: str
    quantity: int
    # None: priced from the customer's contract price list (B2B); refused when no list prices it.
    unit_price: Decimal | None
    discount: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    # What the channel calls the item; shown while the SKU is unknown to the catalogue.
    name: str = ""
    # The channel's own id of the line (kept for passing fulfillments back).
    external_line_id: str = ""


@dataclass
class OrderIntakeData:
    channel: str
    external_id: str
    currency: str
    email: str
    shipping_address: AddressData
    lines: list[LineData]
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    billing_address: AddressData | None = None
    shipping_price: Decimal = Decimal(0)
    # Tax on shipping: part of the order's tax total, not of any line.
    shipping_tax: Decimal = Decimal(0)
    payment_status: str = PaymentStatus.PENDING
    placed_at: datetime | None = None
    # The day the customer was promised delivery by; None: the channel's delivery days decide.
    promised_delivery_date: date | None = None
    note: str = ""
    # (reason, detail) holds a channel adapter asks for beyond intake's own checks, e.g. a
    # payload that needed a placeholder; merged with intake's hold of the same reason.
    extra_holds: list[tuple[str, str]] = field(default_factory=list)
    # The platform's own fraud verdict (low, medium, high) when it sent one; kept on the order.
    platform_risk: str = ""
    # Paid from the customer's store credit in the order's currency, spent in intake's
    # transaction (refused, nothing recorded, when the balance does not cover it). Covering the
    # whole grand total, the order counts as paid.
    store_credit: Decimal = Decimal(0)
    # The buyer's purchase-order reference (B2B); required for customers whose account says so.
    po_reference: str = ""


@dataclass
class IntakeResult:
    """What intake recorded. For a new order the rows it wrote ride along, so a caller can
    answer without reading them back (the HTTP API does: intake is its hot path)."""

    order: Order
    created: bool
    lines: list[OrderLine] = field(default_factory=list)
    holds: list[OrderHold] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)


# --- structural validation: malformed input is refused -----------------------------------


def _e164(phone: str) -> str | None:
    """The number in E.164, or None when it cannot be a phone number."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def address_errors(address: AddressData | None, path: str, errors: dict) -> None:
    """Add what is malformed in ``address`` to ``errors`` under ``path``; normalize the rest in place."""
    if address is None:
        errors[path] = ["This field is required."]
        return
    address.country = (address.country or "").strip().upper()
    if not address.country:
        errors[f"{path}.country"] = ["This field is required."]
    elif not geo.is_country(address.country):
        errors[f"{path}.country"] = [f"{address.country!r} is not an ISO 3166-1 alpha-2 country code."]
    if address.phone:
        normalized = _e164(address.phone)
        if normalized is None:
            errors[f"{path}.phone"] = ["Not a phone number; use E.164, e.g. +14155550123."]
        else:
            address.phone = normalized
    address.pickup_point, address.pickup_point_name = (address.pickup_point or "").strip(), (address.pickup_point_name or "").strip()
    if address.pickup_point and not path.startswith("shipping"):
        errors[f"{path}.pickup_point"] = ["Only a shipping address names a pickup point."]
    elif len(address.pickup_point) > MAX_PICKUP_POINT_ID:
        errors[f"{path}.pickup_point"] = [f"At most {MAX_PICKUP_POINT_ID} characters: the carrier's id of the pickup point."]
    elif address.pickup_point_name and not address.pickup_point:
        errors[f"{path}.pickup_point"] = ["Give the pickup point's id with its name (or leave both empty for delivery to the door)."]
    if len(address.pickup_point_name) > MAX_PICKUP_POINT_NAME:
        errors[f"{path}.pickup_point_name"] = [f"At most {MAX_PICKUP_POINT_NAME} characters."]


def intake_validate(data: OrderIntakeData) -> None:
    """Refuse malformed input with every problem at once (``InvalidInput.fields``); normalize the rest."""
    errors: dict[str, list[str]] = {}
    data.channel = (data.channel or "").strip()
    data.external_id = (data.external_id or "").strip()
    data.currency = (data.currency or "").strip().upper()
    data.email = (data.email or "").strip().lower()
    data.po_reference = (data.po_reference or "").strip()
    if not data.channel:
        errors["channel"] = ["This field is required."]
    if len(data.po_reference) > MAX_PO_REFERENCE:
        errors["po_reference"] = [f"At most {MAX_PO_REFERENCE} characters."]
    if not data.external_id:
        errors["external_id"] = ["This field is required."]
    elif len(data.external_id) > 100:
        errors["external_id"] = ["At most 100 characters."]
    if not is_currency(data.currency):
        errors["currency"] = [f"{data.currency!r} is not an ISO 4217 currency code."]
    try:
        validate_email(data.email)
    except ValidationError:
        errors["customer.email"] = ["Enter a valid e-mail address."]
    else:
        if len(data.email) > MAX_EMAIL_LENGTH:  # the validator allows longer than the column holds
            errors["customer.email"] = [f"At most {MAX_EMAIL_LENGTH} characters."]
    if data.phone:
        normalized = _e164(data.phone)
        if normalized is None:
            errors["customer.phone"] = ["Not a phone number; use E.164, e.g. +14155550123."]
        else:
            data.phone = normalized
    address_errors(data.shipping_address, "shipping_address", errors)
    if data.billing_address is not None:
        address_errors(data.billing_address, "billing_address", errors)
    if data.payment_status not in INTAKE_PAYMENT_STATUSES:
        errors["payment_status"] = [f"Must be one of: {', '.join(INTAKE_PAYMENT_STATUSES)}."]
    for name in ("shipping_price", "shipping_tax", "store_credit"):
        try:
            value = parse_amount(getattr(data, name))
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        if value < 0:
            errors[name] = ["Must be zero or more."]
        elif value >= MAX_AMOUNT:
            errors[name] = [f"Must be below {MAX_AMOUNT}."]
        setattr(data, name, value)
    promise_error = _promise_error(data)
    if promise_error:
        errors["promised_delivery_date"] = [promise_error]
    for reason, _detail in data.extra_holds:
        if reason not in HoldReason.values:
            errors["extra_holds"] = [f"{reason!r} is not a hold reason."]
    if not data.lines:
        errors["lines"] = ["An order needs at least one line."]
    elif len(data.lines) > MAX_LINES:
        errors["lines"] = [f"At most {MAX_LINES} lines per order."]
    for index, line in enumerate(data.lines or ()):
        path = f"lines[{index}]"
        line.sku = (line.sku or "").strip()
        if not line.sku:
            errors[f"{path}.sku"] = ["This field is required."]
        elif len(line.sku) > 64:
            errors[f"{path}.sku"] = ["At most 64 characters."]
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 1:
            errors[f"{path}.quantity"] = ["Must be a whole number of at least 1."]
        elif line.quantity > MAX_QUANTITY:
            errors[f"{path}.quantity"] = [f"Must be at most {MAX_QUANTITY}."]
        for name in ("unit_price", "discount", "tax"):
            if name == "unit_price" and line.unit_price is None:
                continue  # priced from the contract at build time
            try:
                value = parse_amount(getattr(line, name))
            except ValueError as exc:
                errors[f"{path}.{name}"] = [str(exc)]
                continue
            if value < 0:
                errors[f"{path}.{name}"] = ["Must be zero or more."]
            elif value >= MAX_AMOUNT:
                errors[f"{path}.{name}"] = [f"Must be below {MAX_AMOUNT}."]
            setattr(line, name, value)
    if errors:
        raise InvalidInput("The order is malformed; nothing was recorded.", fields=errors)


def placed_on_day(placed_at: datetime) -> date:
    """The calendar day of ``placed_at`` in the shop's time zone (the day a promise counts from)."""
    return timezone.localdate(placed_at) if timezone.is_aware(placed_at) else placed_at.date()


def _promise_error(data: OrderIntakeData) -> str:
    """What is wrong with ``data.promised_delivery_date`` (normalized to a date in place), or ''."""
    promise = data.promised_delivery_date
    if promise is None:
        return ""
    if isinstance(promise, str):
        try:
            promise = parse_date(promise.strip())
        except ValueError:
            promise = None
        if promise is None:
            return f"{data.promised_delivery_date!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-06."
    if isinstance(promise, datetime):
        return "Must be a date (YYYY-MM-DD), not a date and time."
    if not isinstance(promise, date):
        return "Must be a date (YYYY-MM-DD)."
    data.promised_delivery_date = promise
    if data.placed_at is None:
        # Fixed here, so the promise is judged against the very moment the order records.
        data.placed_at = timezone.now()
    placed_on = placed_on_day(data.placed_at)
    if promise < placed_on:
        return f"{promise} is before the order was placed ({placed_on}); promise a day on or after it, or leave it out."
    return ""


def promised_delivery_date_for(data: OrderIntakeData, channel: Channel, placed_at: datetime) -> date | None:
    """The order's promise: the one it brings, else ``channel.delivery_days`` calendar days after
    the day it was placed, else none."""
    if data.promised_delivery_date is not None:
        return data.promised_delivery_date
    if not channel.delivery_days:
        return None
    try:
        return placed_on_day(placed_at) + timedelta(days=channel.delivery_days)
    except OverflowError:  # placed at the end of the calendar: no day to promise
        return None


def promised_ship_date_for(channel: Channel, placed_at: datetime) -> date | None:
    """The day the order should leave: ``channel.handling_days`` working days (Monday to Friday)
    after the working day it counts from, which is the day it was placed unless that is a weekend
    or the order came after the channel's same-day cutoff (then the next working day)."""
    if channel.handling_days is None:
        return None
    local = timezone.localtime(placed_at) if timezone.is_aware(placed_at) else placed_at
    day = local.date()
    if channel.ship_cutoff is not None and local.time() > channel.ship_cutoff:
        day += timedelta(days=1)
    try:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        for _ in range(channel.handling_days):
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
    except OverflowError:  # placed at the end of the calendar: no day to promise
        return None
    return day


# --- doubtful orders: recorded, held with a reason -----------------------------------------


def address_doubts(address: AddressData) -> list[str]:
    """What makes a well-formed address doubtful (an address hold), in words for the hold queue."""
    doubts = []
    for name in ("name", "line1", "city"):
        if not getattr(address, name).strip():
            doubts.append(f"{name.replace('line1', 'street line')} missing")
    if address.country in REGION_REQUIRED and not address.region.strip():
        doubts.append(f"region/state missing (required in {address.country})")
    if not address.postal_code.strip():
        if geo.country_uses_postal_codes(address.country):
            doubts.append(f"postal code missing (required in {address.country})")
    elif not geo.postal_code_plausible(address.country, address.postal_code):
        doubts.append(f"postal code {address.postal_code!r} does not fit {address.country}'s format")
    return doubts


@dataclass(frozen=True)
class CreditPosition:
    """What a customer owes, in the group's credit currency: open orders' amounts not yet invoiced
    and the unpaid balances of invoices; and their oldest invoice overdue past the grace period."""

    not_invoiced: Decimal
    unpaid_invoices: Decimal
    overdue: Invoice | None = None
    overdue_count: int = 0

    @property
    def exposure(self) -> Decimal:
        return self.not_invoiced + self.unpaid_invoices


def _credit_position(customer: Customer, group: CustomerGroup, *, with_exposure: bool) -> CreditPosition:
    """The customer's credit position (exposure only ``with_exposure``: a limit to check).

    Read under the customer's row lock, held to the end of intake's transaction (``customer_upsert``
    takes it FOR NO KEY UPDATE; a bulk batch locks its customers before its orders), so orders of
    one customer are checked one after another and never pass the limit together
    (``tests/test_concurrency_credit.py``). Shipments (which issue invoices) and completions do
    not take that lock; the orders are summed before the invoices so that one committing between
    the two statements can only count an amount twice, never miss it: an invoice replaces the
    part of its order it charges, and a completed order's invoices still count. Two or three queries."""
    open_unpaid = Order.objects.filter(
        customer=customer,
        currency=group.credit_currency,
        payment_status__in=(PaymentStatus.PENDING, PaymentStatus.AUTHORIZED),
    ).exclude(status__in=(OrderStatus.CANCELLED, OrderStatus.COMPLETED))
    ordered = (open_unpaid.aggregate(total=Sum("grand_total"))["total"] or Decimal(0)) if with_exposure else Decimal(0)
    cutoff = timezone.localdate() - timedelta(days=settings.OMS_CREDIT_OVERDUE_GRACE_DAYS)
    unpaid = Q(status=InvoiceStatus.OPEN)
    overdue = unpaid & Q(due_on__lt=cutoff)
    sums = {
        "invoiced_open": Sum("total", filter=Q(order__in=open_unpaid.values("pk"))),
        "unpaid": Sum(invoice_open_balance_expression(), filter=unpaid & Q(currency=group.credit_currency)),
    } if with_exposure else {}
    figures = Invoice.objects.filter(customer=customer).aggregate(overdue_count=Count("pk", filter=overdue), **sums)
    oldest = None
    if figures["overdue_count"]:
        oldest = Invoice.objects.filter(overdue, customer=customer).order_by("due_on", "id").first()
    if not with_exposure:
        return CreditPosition(Decimal(0), Decimal(0), oldest, figures["overdue_count"])
    return CreditPosition(
        not_invoiced=ordered - (figures["invoiced_open"] or Decimal(0)), unpaid_invoices=figures["unpaid"] or Decimal(0),
        overdue=oldest, overdue_count=figures["overdue_count"],
    )


def _overdue_text(position: CreditPosition) -> str:
    invoice = position.overdue
    days = invoice.days_overdue(timezone.localdate())
    others = position.overdue_count - 1
    return (
        f"Invoice {invoice.number} is {days} day{'s' if days != 1 else ''} overdue "
        f"({money_text(invoice.balance, invoice.currency)} unpaid, due {invoice.due_on.isoformat()})"
        + (f"; {others} more invoice{'s' if others != 1 else ''} overdue" if others else "")
        + f"; grace {settings.OMS_CREDIT_OVERDUE_GRACE_DAYS} days."
    )


def holds_for(data: OrderIntakeData, order: Order, lines: list[OrderLine], customer: Customer, group: CustomerGroup | None,
              *, replacing: Decimal = Decimal(0)) -> list[OrderHold]:
    """The holds a new order gets (unsaved), with the reason and detail of each doubt.

    ``replacing``: what the order counted in the customer's exposure before its lines were
    replaced (its old total), so the new total takes its place rather than adding to it."""
    holds = []

    def hold(reason: str, detail: str):
        holds.append(OrderHold(order=order, reason=reason, detail=detail[:500]))

    doubts = address_doubts(data.shipping_address)
    if doubts:
        hold(HoldReason.ADDRESS, "; ".join(doubts))
    on_terms = group is not None and group.payment_terms_days > 0
    if data.payment_status == PaymentStatus.PENDING and not on_terms:
        hold(HoldReason.PAYMENT, "Payment is not authorised yet.")
    unknown = [line.sku for line in lines if line.product is None]
    inactive = [line.sku for line in lines if line.product is not None and not line.product.is_active]
    if unknown or inactive:
        parts = ([f"unknown SKU: {', '.join(unknown)}"] if unknown else []) + ([f"inactive SKU: {', '.join(inactive)}"] if inactive else [])
        hold(HoldReason.STOCK, "; ".join(parts))
    bounds = []
    tolerance = Decimal(str(settings.OMS_PRICE_TOLERANCE))
    for line in lines:
        if line.quantity > settings.OMS_MAX_LINE_QUANTITY:
            bounds.append(f"{line.sku}: quantity {line.quantity} above {settings.OMS_MAX_LINE_QUANTITY}")
        contract = getattr(line, "contract", None)
        product = line.product
        if contract is not None:
            # A contract price is exact: any other price needs a person, however close.
            if line.price_list_id is None:
                bounds.append(f"{line.sku}: price {line.unit_price} vs contract {quantize(contract.price, order.currency)} ({contract.describe()})")
        elif product is not None and product.currency == order.currency and product.price > 0:
            deviation = abs(line.unit_price - product.price) / product.price
            if deviation > tolerance:
                bounds.append(f"{line.sku}: price {line.unit_price} vs catalogue {quantize(product.price, order.currency)}")
    if bounds:
        hold(HoldReason.QUANTITY_PRICE, "; ".join(bounds))
    for reason, detail in data.extra_holds:
        same = next((h for h in holds if h.reason == reason), None)
        if same is None:  # one open hold per reason: a second cause joins the first's detail
            hold(reason, detail)
        else:
            same.detail = f"{same.detail}; {detail}"[:500]
    # A paid order borrows nothing: like _credit_position, only unpaid orders count against the limit.
    on_credit = data.payment_status != PaymentStatus.PAID
    limited = group is not None and group.credit_limit is not None and group.credit_currency == order.currency
    if on_credit and group is not None and (limited or group.on_terms):
        position = _credit_position(customer, group, with_exposure=limited)
        reasons = []
        if limited and position.exposure - replacing + order.grand_total > group.credit_limit:
            reach = quantize(position.exposure - replacing + order.grand_total, order.currency)
            limit = quantize(group.credit_limit, order.currency)
            if position.unpaid_invoices:
                not_invoiced = quantize(position.not_invoiced - replacing + order.grand_total, order.currency)
                invoices = quantize(position.unpaid_invoices, order.currency)
                reasons.append(
                    f"Open orders not yet invoiced ({not_invoiced}) and unpaid invoices ({invoices}) would reach {reach} {order.currency}, limit {limit}."
                )
            else:
                reasons.append(f"Open unpaid orders would reach {reach} {order.currency}, limit {limit}.")
        if position.overdue is not None:
            reasons.append(_overdue_text(position))
        if reasons:
            hold(HoldReason.CREDIT_LIMIT, " ".join(reasons))
    return holds


# --- the intake service --------------------------------------------------------------------


@dataclass
class BatchKnown:
    """Rows a batch (``orders.services.bulk``) already read and locked in the current transaction:
    intake takes its customers and products from here instead of asking again per order."""

    customers: dict[str, Customer]
    products: dict[str, Product]
    # Decisions routed for the whole batch at once, by (channel code, external id): intake takes
    # an order's planned decision when it covers the order and the stock still holds it.
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)


_batch_known: ContextVar[BatchKnown | None] = ContextVar("intake_batch_known", default=None)


@contextmanager
def intake_batch_known(known: BatchKnown):
    """Within this block (and its transaction), intake uses ``known`` rather than re-reading them."""
    token = _batch_known.set(known)
    try:
        yield
    finally:
        _batch_known.reset(token)


def _line_price(item: LineData, index: int, contract: ContractPrice | None, currency: str, on: date) -> Decimal:
    """The unit price of a line: the one given, or the contract's when none was given."""
    if item.unit_price is not None:
        return quantize(item.unit_price, currency)
    if contract is None:
        raise InvalidInput(
            "A line has no price and no price list prices it; nothing was recorded.",
            fields={f"lines[{index}].unit_price": [
                f"No price given, and no price list of this customer prices {item.sku} in {currency} on {on.isoformat()} "
                f"for {item.quantity} unit(s): send unit_price or add the SKU to the customer's price list."
            ]},
        )
    return quantize(contract.price, currency)


def order_build(
    data: OrderIntakeData, channel: Channel, customer: Customer, products, prices: ContractPrices = NO_CONTRACT
) -> tuple[Order, list[OrderLine]]:
    """The order and its lines (unsaved) with prices quantized and totals computed; refuses
    discounts beyond the order's value and amounts too large to store.

    ``prices``: the customer's contract prices (``customers.pricing``). A line without a price
    takes its contract price; a line priced from, or at, its contract price records the list and
    break (``price_list``, ``price_break``); each line keeps the contract price it was held to in
    the transient attribute ``contract`` for :func:`holds_for`."""
    currency = data.currency
    placed_at = data.placed_at or timezone.now()
    placed_on = placed_on_day(placed_at)
    order = Order(
        channel=channel,
        external_id=data.external_id,
        customer=customer,
        email=data.email,
        currency=currency,
        payment_status=data.payment_status,
        shipping_address=data.shipping_address.as_dict(),
        billing_address=data.billing_address.as_dict() if data.billing_address else {},
        ship_country=data.shipping_address.country,
        placed_at=placed_at,
        promised_delivery_date=promised_delivery_date_for(data, channel, placed_at),
        promised_ship_date=promised_ship_date_for(channel, placed_at),
        note=data.note.strip(),  # the instructions travel with the order (packing slips print them)
        po_reference=data.po_reference,
    )
    point = geo.locate(country=data.shipping_address.country, city=data.shipping_address.city)
    if point:
        order.destination_latitude, order.destination_longitude = point.latitude, point.longitude
    lines = []
    subtotal = discount_total = tax_total = Decimal(0)
    for number, item in enumerate(data.lines, start=1):
        product = products.get(item.sku)
        contract = prices.for_line(item.sku, item.quantity) if prices else None
        unit_price = _line_price(item, number - 1, contract, currency, placed_on)
        discount, tax = quantize(item.discount, currency), quantize(item.tax, currency)
        gross = unit_price * item.quantity
        line = OrderLine(
            order=order, line_number=number, sku=item.sku, product=product, name=product.name if product else (item.name or item.sku)[:255],
            quantity=item.quantity, unit_price=unit_price, discount=discount, tax=tax, line_total=gross - discount + tax,
            external_line_id=item.external_line_id,
        )
        line.contract = contract
        if contract is not None and unit_price == quantize(contract.price, currency):
            line.price_list, line.price_break = contract.price_list, contract.min_quantity
        lines.append(line)
        subtotal += gross
        discount_total += discount
        tax_total += tax
    order.subtotal, order.discount_total, order.tax_total = subtotal, discount_total, tax_total
    order.shipping_price = quantize(data.shipping_price, currency)
    if data.shipping_tax:
        tax_total += quantize(data.shipping_tax, currency)
        order.tax_total = tax_total
    order.grand_total = subtotal - discount_total + tax_total + order.shipping_price
    if order.grand_total < 0:
        raise InvalidInput("Discounts exceed the order's value.", fields={"lines": ["Discounts add up to more than the order is worth."]})
    # Every stored amount (line totals, discounts included) is at most this sum once the total is not negative.
    if subtotal + tax_total + order.shipping_price >= MAX_AMOUNT:
        raise InvalidInput("The order's amounts are too large to record.", fields={"lines": [f"Totals must stay below {MAX_AMOUNT}."]})
    return order, lines


@dataclass(frozen=True)
class ConfigVersions:
    """Versions of the configuration intake keeps per process, read with its channel: each copy
    is read again only when its version changed, so the steady state costs no query for them."""

    strategies: str  # routing strategies (orders.routing.config)
    screening: str  # screening rules and thresholds (orders.services.screening)
    stock_rules: str  # channel stock rules (inventory.selectors.channel_pool_cached)


_CHANNEL_SQL: str | None = None


def _channel_sql() -> str:
    global _CHANNEL_SQL
    if _CHANNEL_SQL is None:
        channels, orders = Channel._meta.db_table, Order._meta.db_table
        _CHANNEL_SQL = (
            f"SELECT c.id, c.code, c.name, c.kind, c.is_active, c.delivery_days, c.handling_days, c.ship_cutoff, "
            f"(SELECT o.id FROM {orders} o WHERE o.channel_id = c.id AND o.external_id = %s), "
            f"{strategies_version_sql()}, {screening_version_sql()}, {channel_rules_version_sql()}, c.replan_enabled "
            f"FROM {channels} c WHERE c.code = %s"
        )
    return _CHANNEL_SQL


def _channel_and_existing(code: str, external_id: str) -> tuple[Channel | None, int | None, ConfigVersions | None]:
    """The channel, the id of its order with this external id (if any) and the versions of the
    configuration intake keeps in the process (:class:`ConfigVersions`), in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(_channel_sql(), [external_id, code])
        row = cursor.fetchone()
    if row is None:
        return None, None, None
    fields = ["id", "code", "name", "kind", "is_active", "delivery_days", "handling_days", "ship_cutoff", "replan_enabled"]
    channel = Channel.from_db(connection.alias, fields, (*row[:8], row[19]))
    versions = ConfigVersions(
        strategies=version_of(*row[9:12]), screening=screening_version_of(*row[12:16]), stock_rules=channel_rules_version_of(*row[16:19])
    )
    return channel, row[8], versions


def order_intake(*, data: OrderIntakeData, actor: Actor) -> IntakeResult:
    """Record an order from any channel, exactly once per ``(channel, external_id)``.

    Guarantees: malformed input raises :class:`InvalidInput` and writes nothing; the same
    ``(channel, external_id)`` returns the order already recorded (``created=False``), even
    when two requests race; a recorded order is on hold with typed reasons, or has reserved
    all the stock it could (``allocated``) and waits for the rest (``backordered``). Stock
    rows are locked before any row referencing them is written.
    """
    intake_validate(data)
    try:
        return _intake(data, actor)
    except IntegrityError:
        # A concurrent request recorded the same (channel, external_id) first.
        existing = Order.objects.filter(channel__code=data.channel, external_id=data.external_id).first()
        if existing is None:
            raise
        return IntakeResult(existing, created=False)


def _screen(data: OrderIntakeData, order: Order, lines: list[OrderLine], holds: list[OrderHold], version: str):
    """Screening (orders.services.screening): keeps the platform's verdict on the order and adds
    a fraud-risk hold to ``holds`` (joining one the channel asked for) when the score reaches the threshold."""
    order.platform_risk = platform_risk_level(data.platform_risk)
    contacts = {data.email, data.phone, data.shipping_address.phone, data.billing_address.phone if data.billing_address else ""} - {""}
    screening = order_screen(order=order, lines=lines, contacts=contacts, billing_country=data.billing_address.country if data.billing_address else "", version=version)
    if screening.held:
        same = next((h for h in holds if h.reason == HoldReason.FRAUD_RISK), None)
        if same is None:
            holds.append(OrderHold(order=order, reason=HoldReason.FRAUD_RISK, detail=screening.summary()[:500]))
        else:
            same.detail = f"{same.detail}; {screening.summary()}"[:500]
    return screening


def _store_credit_check(data: OrderIntakeData, order: Order) -> Decimal:
    """The store credit the order spends (quantized); refuses more than the order is worth. An
    order it pays in full is paid."""
    amount = quantize(data.store_credit, order.currency)
    if amount > order.grand_total:
        raise InvalidInput(
            f"Store credit of {amount} {order.currency} is more than the order's total of {order.grand_total} {order.currency}.",
            fields={"store_credit": [f"At most {order.grand_total}."]},
        )
    if amount and amount == order.grand_total:
        data.payment_status = order.payment_status = PaymentStatus.PAID
    return amount


def catalogue_apply(data: OrderIntakeData, group: CustomerGroup | None, products: dict) -> list[str]:
    """Apply the group's catalogue rules (``customers.catalogue``) to the lines: refuses the order
    (:class:`InvalidInput`, naming each line and what to change) when a line may not be bought or
    its quantity does not fit a refusing rule; rounds quantities up where the rule says so, in
    ``data``, and returns what it rounded."""
    if group is None:
        return []
    categories = {sku: product.category for sku, product in products.items()}
    catalogue = catalogue_for(group, skus=(line.sku for line in data.lines), categories=categories.values())
    errors, rounded = {}, []
    for index, line in enumerate(data.lines):
        verdict = catalogue.judge(line.sku, categories.get(line.sku, ""), line.quantity)
        if verdict.refused:
            errors[f"lines[{index}].{verdict.field}"] = [str(verdict.refused)]  # in the caller's language: English for the API
        elif verdict.rounded:
            line.quantity = verdict.quantity
            rounded.append(verdict.rounded)
    if errors:
        raise InvalidInput("Lines break the customer's catalogue rules; nothing was recorded.", fields=errors)
    return rounded


# Orders from these channels come from shop platforms whose checkout has no place for a PO
# reference: refusing them would lose the order, so a missing one holds it for a person instead.
PO_REFERENCE_HELD_KINDS = (Channel.Kind.WEB, Channel.Kind.MARKETPLACE)


def _po_reference_missing(data: OrderIntakeData, channel: Channel, customer: Customer) -> None:
    """A customer whose account requires a purchase-order reference ordered without one: refused
    (:class:`InvalidInput`, nothing recorded) where whoever places the order can give one (API,
    B2B portal, phone, till); held (``manual``) when it comes from a web shop or marketplace."""
    if channel.kind in PO_REFERENCE_HELD_KINDS:
        data.extra_holds.append((HoldReason.MANUAL, f"{customer.display_name} orders with a purchase-order reference; none came with the order."))
        return
    raise InvalidInput(
        "This customer's orders need a purchase-order reference; nothing was recorded.",
        fields={"po_reference": [f"{customer.display_name} orders with a purchase-order reference: send po_reference (the buyer's PO number)."]},
    )


def _intake(data: OrderIntakeData, actor: Actor) -> IntakeResult:
    with transaction.atomic():
        channel, existing_id, versions = _channel_and_existing(data.channel, data.external_id)
        if channel is None or not channel.is_active:
            raise InvalidInput(f"Unknown or inactive channel {data.channel!r}.", fields={"channel": [f"No active channel {data.channel!r}."]})
        if existing_id:
            return IntakeResult(Order.objects.get(pk=existing_id), created=False)

        known = _batch_known.get()
        customer = known.customers.get(data.email) if known else None
        if customer is None:
            customer = customer_upsert(email=data.email, first_name=data.first_name, last_name=data.last_name, phone=data.phone, actor=actor)
        group = CustomerGroup.objects.filter(pk=customer.group_id).first() if customer.group_id else None
        if not data.po_reference and po_reference_required_for(customer, group):
            _po_reference_missing(data, channel, customer)
        if known:
            products = {line.sku: known.products[line.sku] for line in data.lines if line.sku in known.products}
        else:
            products = products_by_sku(line.sku for line in data.lines)
        rounded = catalogue_apply(data, group, products)
        # One moment for the order: the contract's day and the order's placed_at must agree.
        data.placed_at = data.placed_at or timezone.now()
        placed_on = placed_on_day(data.placed_at)
        prices = contract_prices(customer, currency=data.currency, skus=(line.sku for line in data.lines), on=placed_on)
        order, lines = order_build(data, channel, customer, products, prices)
        store_credit = _store_credit_check(data, order)
        holds = holds_for(data, order, lines, customer, group)
        screening = _screen(data, order, lines, holds, versions.screening)

        plan, stock = {}, None
        if not holds:
            rules = routing_rules_for(channel.pk, version=versions.strategies)
            stock = StockView((line.product_id for line in lines), channel=channel.code, rules_version=versions.stock_rules)
            planned = known.decisions.get((data.channel, data.external_id)) if known else None
            if planned is None or not stock.adopt(planned):
                needs = [Need(i, line.product_id, line.quantity, line.product.weight_grams) for i, line in enumerate(lines)]
                decision = stock.route(needs, destination_of(order), rules=rules, order=order)
            else:
                decision = planned
            skus = {line.product_id: line.sku for line in lines}
            if not decision.covered and rules.on_shortage == HOLD:
                # The strategy wants a person to decide: reserve nothing, hold with the shortage.
                order.hold()
                record = decision_record(decision, trigger="intake", outcome=order.status, skus=skus)
                holds = [OrderHold(order=order, reason=HoldReason.STOCK, detail=shortage_text(record)[:500])]
            else:
                plan = decision.plan
                for index, parts in plan.items():
                    lines[index].quantity_reserved = sum(q for _, q in parts)
                if all(line.quantity_reserved == line.quantity for line in lines):
                    order.allocate()
                else:
                    order.backorder()
                record = decision_record(decision, trigger="intake", outcome=order.status, skus=skus)
            order.routing = routing_with(None, record)
        else:
            order.hold()

        rows_insert([order])
        if order.number is None:  # databases without the number sequence
            order.number = order_number_for(order.pk)
            Order.objects.filter(pk=order.pk).update(number=order.number)
        rows_insert(lines)
        spent = None
        if store_credit:  # before the pipeline: a refused spend is caught in a savepoint, which a pipeline cannot recover
            spent = store_credit_spend(
                customer_id=customer.pk, currency=order.currency, amount=store_credit, reference=order.number, note="Paid at intake",
                idempotency_key=f"order:{order.pk}", actor=actor,
            )
        # The writes that follow read no answer: one round trip for them all.
        with statements_pipelined():
            events = [order_event(order, OrderEvent.Kind.CREATED, f"Received from {channel.name}", actor=actor, data={"external_id": order.external_id})]
            if data.note.strip():
                events.append(order_event(order, OrderEvent.Kind.NOTE, data.note.strip(), actor=actor))
            if rounded:
                events.append(order_event(
                    order, OrderEvent.Kind.NOTE, f"Quantities rounded up to the catalogue rules: {'; '.join(rounded)}", actor=actor, data={"rounded": rounded}
                ))
            if spent:
                events.append(order_event(
                    order, OrderEvent.Kind.PAYMENT, f"Paid {store_credit} {order.currency} with store credit (balance left {spent.balance})",
                    actor=actor, data={"store_credit": str(store_credit), "store_credit_entry": spent.entry.pk},
                ))
            if screening.screened:
                events.append(order_event(order, OrderEvent.Kind.SCREENED, screening.summary(), actor=actor, data=screening.as_data()))
            if holds:
                rows_insert(holds)
                events += [order_event(order, OrderEvent.Kind.HOLD_PLACED, f"{h.get_reason_display()}: {h.detail}", actor=actor, data={"reason": h.reason}) for h in holds]
            changes = [
                StockChange(lines[index].product_id, location_id, quantity, reference=order.number)
                for index, parts in plan.items()
                for location_id, quantity in parts
            ]
            allocations = []
            if changes:
                stock_reserve(changes=changes, levels=stock.levels, actor=actor)
                allocations = rows_insert(
                    [
                        Allocation(line=lines[index], location=stock.levels[(lines[index].product_id, loc)].location, quantity=q)
                        for index, parts in plan.items()
                        for loc, q in parts
                    ]
                )
                events.append(order_event(order, OrderEvent.Kind.RESERVED, f"Reserved {sum(c.quantity for c in changes)} unit(s)", actor=actor))
            events.append(order_event(order, OrderEvent.Kind.STATUS, f"Pending → {order.get_status_display()}", actor=actor, from_status=OrderStatus.PENDING, to_status=order.status))
            rows_insert(events)
            created = order_payload(order, channel=channel.code)
            status_event = order_payload(order, previous_status=OrderStatus.PENDING, reasons=[h.reason for h in holds]) if holds else order_payload(order, previous_status=OrderStatus.PENDING)
            events_record([("order.created", created), (STATUS_EVENTS[order.status], status_event)], stream=order_stream(order.pk), new_stream=True)
            if channel.replan_enabled and order.status == OrderStatus.ALLOCATED:
                # One more order in the channel's re-planning window; a full window is re-planned at once.
                transaction.on_commit(partial(replan_arrival, channel.pk), robust=True)
    return IntakeResult(order, created=True, lines=lines, holds=holds, allocations=allocations)


