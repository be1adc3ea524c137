"""What a refund gives back, as pure arithmetic on plain data (no database).

- A line's paid value is ``unit_price × quantity − discount + tax``, where the discount is the
  line's own plus its share of any order discount the lines do not carry (``discount_total``
  beyond the lines' discounts, spread in proportion to the lines' value after their own discounts,
  the last line taking the remainder so the shares add up to the cent).
- Units are refunded cumulatively: refunding ``n`` units after ``k`` were refunded gives
  ``round(paid × (k+n)/q) − round(paid × k/q)``, so however a line is split over refunds, its
  refunds add up exactly to what was paid for it.
- Restocking fee per line: ``percent`` of the refunded value before tax, plus ``fixed``; never more
  than the line gives back.
- Shipping (and its tax) comes back when the policy says so and this refund completes the order
  (every unit of every line refunded); the return label is deducted when the customer pays it.
- The total never exceeds what the order still may refund (its grand total minus refunds held).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from oms.money import quantize

ZERO = Decimal(0)


@dataclass(frozen=True)
class PaidLine:
    """What the customer paid for one order line (amounts as stored on the order)."""

    line_id: int
    line_number: int
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass(frozen=True)
class PaidOrder:
    currency: str
    lines: tuple[PaidLine, ...]
    discount_total: Decimal = ZERO
    shipping_price: Decimal = ZERO
    tax_total: Decimal = ZERO  # the lines' tax plus the shipping's
    grand_total: Decimal = ZERO


@dataclass(frozen=True)
class RefundUnits:
    """``units`` of an order line to refund, with the restocking fee terms of the reason."""

    line_id: int
    units: int
    fee_percent: Decimal = ZERO
    fee_fixed: Decimal = ZERO


@dataclass(frozen=True)
class RefundLineAmount:
    line_id: int
    line_number: int
    sku: str
    units: int
    price: Decimal  # the units' value after their share of discounts, before tax
    tax: Decimal
    restocking_fee: Decimal

    @property
    def amount(self) -> Decimal:
        return self.price + self.tax - self.restocking_fee


@dataclass(frozen=True)
class RefundComputation:
    currency: str
    lines: tuple[RefundLineAmount, ...]
    shipping: Decimal = ZERO
    label_cost: Decimal = ZERO
    capped_by: Decimal = ZERO  # what the cap (left to refund on the order) took off
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def amount(self) -> Decimal:
        total = sum((line.amount for line in self.lines), ZERO) + self.shipping - self.label_cost - self.capped_by
        return max(total, ZERO)

    def as_breakdown(self) -> dict:
        """The JSON stored on the refund and shown to people and the API (amounts in the currency's decimals)."""

        def text(amount: Decimal) -> str:
            return str(quantize(amount, self.currency))

        return {
            "currency": self.currency,
            "lines": [
                {"line_id": line.line_id, "line_number": line.line_number, "sku": line.sku, "units": line.units, "price": text(line.price),
                 "tax": text(line.tax), "restocking_fee": text(line.restocking_fee), "amount": text(line.amount)}
                for line in self.lines
            ],
            "shipping": text(self.shipping), "label_cost": text(self.label_cost), "capped_by": text(self.capped_by),
            "amount": text(self.amount), "notes": list(self.notes),
        }


def line_discounts(order: PaidOrder) -> dict[int, Decimal]:
    """Per line id: its discount plus its share of the order discount the lines do not carry."""
    own = {line.line_id: quantize(line.discount, order.currency) for line in order.lines}
    extra = quantize(order.discount_total, order.currency) - sum(own.values(), ZERO)
    if extra <= 0 or not order.lines:
        return own
    weights = {line.line_id: max(line.unit_price * line.quantity - own[line.line_id], ZERO) for line in order.lines}
    base = sum(weights.values(), ZERO)
    shares, given = {}, ZERO
    last = order.lines[-1].line_id
    for line in order.lines:
        if line.line_id == last:
            share = extra - given
        else:
            share = quantize(extra * weights[line.line_id] / base, order.currency) if base else ZERO
        shares[line.line_id] = share
        given += share
    return {pk: own[pk] + shares[pk] for pk in own}


def _portion(total: Decimal, done: int, units: int, quantity: int, currency: str) -> Decimal:
    """The ``units`` after ``done`` of ``quantity`` of ``total``, cumulatively rounded."""
    return quantize(total * (done + units) / quantity, currency) - quantize(total * done / quantity, currency)


def refund_compute(
    order: PaidOrder, items: list[RefundUnits], *, refunded_units: dict[int, int], refund_shipping: bool, label_cost: Decimal = ZERO,
    refundable: Decimal,
) -> RefundComputation:
    """The refund for ``items`` of ``order`` after ``refunded_units`` (per line id) were refunded
    before; ``refundable`` is what the order may still give back (the cap)."""
    currency = order.currency
    by_id = {line.line_id: line for line in order.lines}
    discounts = line_discounts(order)
    lines = []
    for item in items:
        line = by_id[item.line_id]
        done = refunded_units.get(line.line_id, 0)
        units = min(item.units, line.quantity - done)
        if units <= 0:
            continue
        value = quantize(line.unit_price, currency) * line.quantity - discounts[line.line_id]
        price = _portion(value, done, units, line.quantity, currency)
        tax = _portion(quantize(line.tax, currency), done, units, line.quantity, currency)
        fee = ZERO
        if item.fee_percent or item.fee_fixed:
            fee = quantize(price * Decimal(item.fee_percent) / 100 + Decimal(item.fee_fixed), currency)
            fee = min(fee, price + tax)
        lines.append(RefundLineAmount(line.line_id, line.line_number, line.sku, units, price, tax, fee))
    notes = []
    shipping = ZERO
    if refund_shipping:
        now_refunded = {pk: refunded_units.get(pk, 0) for pk in by_id}
        for line in lines:
            now_refunded[line.line_id] += line.units
        if all(now_refunded[pk] >= by_id[pk].quantity for pk in by_id):
            shipping_tax = quantize(order.tax_total, currency) - sum((quantize(line.tax, currency) for line in order.lines), ZERO)
            shipping = quantize(order.shipping_price, currency) + max(shipping_tax, ZERO)
            notes.append("Shipping refunded: everything came back.")
    label = quantize(label_cost, currency) if label_cost else ZERO
    computation = RefundComputation(currency, tuple(lines), shipping, label, ZERO, tuple(notes))
    if computation.amount > refundable:
        over = computation.amount - max(refundable, ZERO)
        computation = RefundComputation(
            currency, tuple(lines), shipping, label, over, (*notes, f"Capped at what the order may still refund ({max(refundable, ZERO)})."),
        )
    return computation
