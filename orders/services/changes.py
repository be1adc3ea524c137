"""Changing an order after intake: its contact details, addresses and note, and its lines.

Both services take the version the caller last read (the API's ``If-Match``) and compare it with
the order's under the order's lock, so two people editing the same order never overwrite each
other unknowingly: the second gets :class:`PreconditionFailed` and reads again.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from customers.models import CustomerGroup
from customers.pricing import contract_prices
from inventory.selectors import products_by_sku
from oms import geo
from oms.actors import Actor
from oms.versions import ExpectedVersion, version_check
from oms.db import rows_insert
from oms.errors import DomainError, InvalidInput
from oms.money import quantize

from ..models import HoldReason, Order, OrderEvent, OrderHold, OrderLine, OrderStatus, PaymentStatus
from .allocation import order_allocate, order_release_stock
from .audit import order_event, order_event_publish, order_lock, order_touch
from .intake import (
    MAX_AMOUNT,
    MAX_EMAIL_LENGTH,
    AddressData,
    LineData,
    OrderIntakeData,
    address_doubts,
    address_errors,
    catalogue_apply,
    order_build,
    holds_for,
    intake_validate,
    placed_on_day,
)
from .lifecycle import order_hold_place, order_hold_release

# Until stock is picked the order is still only a promise: its details may change.
DETAILS_EDITABLE = (OrderStatus.PENDING, OrderStatus.ON_HOLD, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED)
# Lines decide what is reserved; only an order that reserves nothing yet, or waits for a person, may change them.
LINES_EDITABLE = (OrderStatus.PENDING, OrderStatus.ON_HOLD)
UPDATABLE_FIELDS = ("shipping_address", "billing_address", "email", "note")
MAX_NOTE_LENGTH = 2000
# The holds that judge lines; intake places them, a change of lines places or clears them again.
LINE_HOLD_REASONS = (HoldReason.STOCK, HoldReason.QUANTITY_PRICE)


def _refuse_unless(order: Order, statuses, what: str) -> None:
    if order.status not in statuses:
        allowed = ", ".join(OrderStatus(s).label.lower() for s in statuses)
        raise DomainError(
            f"Order {order.number} is {order.get_status_display().lower()}; its {what} can only change while it is {allowed}. "
            "Cancel it and place a new order instead, or contact the warehouse.",
            code="not_editable",
            fields={"status": [f"Currently {order.status}."]},
        )


# --- details -----------------------------------------------------------------------------------


def _details_validated(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The new column values, normalized as intake normalizes them; malformed input raises
    :class:`InvalidInput` listing every problem."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(changes) - set(UPDATABLE_FIELDS))
    if unknown:
        errors.update({name: ["This field cannot be changed."] for name in unknown})
    if not changes:
        errors["non_field_errors"] = [f"Send at least one of: {', '.join(UPDATABLE_FIELDS)}."]
    values: dict[str, Any] = {}
    if "shipping_address" in changes:
        address = changes["shipping_address"]
        address_errors(address, "shipping_address", errors)
        if address is not None:
            values["shipping_address"] = address.as_dict()
    if "billing_address" in changes:
        address = changes["billing_address"]
        if address is not None:
            address_errors(address, "billing_address", errors)
        values["billing_address"] = address.as_dict() if address is not None else {}
    if "email" in changes:
        email = (changes["email"] or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
        else:
            if len(email) > MAX_EMAIL_LENGTH:
                errors["email"] = [f"At most {MAX_EMAIL_LENGTH} characters."]
        values["email"] = email
    if "note" in changes:
        note = (changes["note"] or "").strip()
        if len(note) > MAX_NOTE_LENGTH:
            errors["note"] = [f"At most {MAX_NOTE_LENGTH} characters."]
        values["note"] = note
    if errors:
        raise InvalidInput("The change is malformed; nothing was changed.", fields=errors)
    return values


def order_update(*, order_id: int, expected_version: ExpectedVersion, changes: Mapping[str, Any], actor: Actor) -> Order:
    """Change an order's ``shipping_address``, ``billing_address`` (None clears it), ``email`` or
    ``note`` (the keys of ``changes``; addresses as :class:`AddressData`).

    Guarantees: malformed input raises :class:`InvalidInput` and changes nothing; a version other
    than the current one (``expected_version``; None: any) raises :class:`PreconditionFailed`; an
    order already in fulfillment (or beyond) is refused with ``not_editable``. Otherwise the new
    values are saved with one more version, the audit trail records the old and new values and
    ``order.updated`` is published. Values equal to the stored ones change nothing (no new version).

    A new shipping address is judged as intake judges it: its country and destination
    coordinates are derived again, and an address hold is placed when it is doubtful or released
    when the new one is sound (the last hold released allocates the order). Stock already
    reserved stays where it is: a changed destination does not re-route an allocated order.
    """
    values = _details_validated(changes)
    with transaction.atomic():
        order = order_lock(order_id)
        version_check(expected_version, order.version, what=f"Order {order.number}")
        _refuse_unless(order, DETAILS_EDITABLE, "details")
        diff = {name: (getattr(order, name), value) for name, value in values.items() if getattr(order, name) != value}
        if not diff:
            return order
        columns = {name: new for name, (_, new) in diff.items()}
        if "shipping_address" in diff:
            address = changes["shipping_address"]
            point = geo.locate(country=address.country, city=address.city)
            columns["ship_country"] = address.country
            columns["destination_latitude"] = point.latitude if point else None
            columns["destination_longitude"] = point.longitude if point else None
        order_touch(order, **columns)
        order_event(
            order, OrderEvent.Kind.NOTE, f"Changed {', '.join(name.replace('_', ' ') for name in diff)}", actor=actor,
            data={"changes": {name: {"from": old, "to": new} for name, (old, new) in diff.items()}},
        ).save()
        order_event_publish(order, "order.updated", changed=list(diff))
        if "shipping_address" in diff:
            _address_hold_review(order, changes["shipping_address"], actor=actor)
    return order


def _address_hold_review(order: Order, address: AddressData, *, actor: Actor) -> None:
    doubts = address_doubts(address)
    hold = OrderHold.objects.filter(order=order, reason=HoldReason.ADDRESS, released_at__isnull=True).first()
    if doubts and hold is None:
        order_hold_place(order_id=order.pk, reason=HoldReason.ADDRESS, detail="; ".join(doubts), actor=actor)
    elif doubts:
        OrderHold.objects.filter(pk=hold.pk).update(detail="; ".join(doubts)[:500])
    elif hold is not None:
        order_hold_release(hold_id=hold.pk, actor=actor, note="address corrected")


# --- lines -------------------------------------------------------------------------------------


def _lines_built(order: Order, lines: list[LineData]) -> tuple[list[OrderLine], list[OrderHold], list[str]]:
    """New, unsaved lines checked and priced as intake checks and prices them (the customer's
    catalogue rules, its contract prices of the day the order was placed), the line holds and
    credit hold they call for, and the quantities the catalogue rounded up."""
    # Intake's own checks and pricing, run on a stand-in order: only the lines are new here.
    stand_in = OrderIntakeData(
        channel=order.channel.code, external_id=order.external_id, currency=order.currency, email="buyer@example.com",
        shipping_address=AddressData(country=order.ship_country or "US"), lines=lines, payment_status=order.payment_status,
        shipping_price=order.shipping_price,
    )
    try:
        intake_validate(stand_in)
    except InvalidInput as exc:
        line_errors = {path: messages for path, messages in exc.fields.items() if path.startswith("lines")}
        if line_errors:
            raise InvalidInput("The lines are malformed; nothing was changed.", fields=line_errors) from None
    customer = order.customer
    group = CustomerGroup.objects.filter(pk=customer.group_id).first() if customer.group_id else None
    products = products_by_sku(line.sku for line in stand_in.lines)
    try:
        rounded = catalogue_apply(stand_in, group, products)
    except InvalidInput as exc:
        raise InvalidInput("Lines break the customer's catalogue rules; nothing was changed.", fields=exc.fields) from None
    prices = contract_prices(customer, currency=order.currency, skus=(line.sku for line in stand_in.lines), on=placed_on_day(order.placed_at))
    draft, new_lines = order_build(stand_in, order.channel, customer, products, prices)
    # The order's old total leaves the customer's exposure as the new one enters it.
    counted = order.payment_status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)
    holds = [
        hold for hold in holds_for(stand_in, draft, new_lines, customer, group, replacing=order.grand_total if counted else Decimal(0))
        if hold.reason in (*LINE_HOLD_REASONS, HoldReason.CREDIT_LIMIT)
    ]
    for line in new_lines:
        line.order = order
    return new_lines, holds, rounded


def _line_snapshot(lines: list[OrderLine], currency: str) -> list[dict]:
    def amount(value) -> str:
        return str(quantize(value, currency))

    return [
        {"sku": line.sku, "quantity": line.quantity, "unit_price": amount(line.unit_price), "discount": amount(line.discount), "tax": amount(line.tax)}
        for line in lines
    ]


def order_lines_replace(*, order_id: int, expected_version: ExpectedVersion, lines: list[LineData], actor: Actor) -> Order:
    """Replace every line of a pending or held order.

    Guarantees: lines are checked and priced as intake checks them (malformed, or against the
    customer's catalogue rules: :class:`InvalidInput`, nothing changed; without a price: the
    contract price of the day the order was placed); a stale ``expected_version`` raises :class:`PreconditionFailed`; other
    statuses are refused with ``not_editable``. Any stock the order holds is released, the new lines
    and totals are saved with one more version, the audit trail records the old and new lines and
    ``order.updated`` is published. Unknown or inactive SKUs place a stock hold and odd quantities
    or prices a quantity/price hold, as at intake; such a hold whose cause the new lines remove is
    released. New lines that take the customer past its credit limit (the new total in place of the
    old one) place a credit hold, which stays until accounting releases it. An order on hold stays on hold while any hold remains; a pending order is allocated
    again (allocated or backordered). Shipping price and shipping tax are kept.
    """
    with transaction.atomic():
        order = order_lock(order_id)
        version_check(expected_version, order.version, what=f"Order {order.number}")
        _refuse_unless(order, LINES_EDITABLE, "lines")
        old_lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
        new_lines, holds, rounded = _lines_built(order, lines)
        # Shipping tax has no line of its own: it is what the order's tax exceeds its lines' by.
        shipping_tax = order.tax_total - sum((line.tax for line in old_lines), Decimal(0))
        subtotal = sum((line.unit_price * line.quantity for line in new_lines), Decimal(0))
        discount_total = sum((line.discount for line in new_lines), Decimal(0))
        tax_total = sum((line.tax for line in new_lines), Decimal(0)) + shipping_tax
        grand_total = quantize(subtotal - discount_total + tax_total + order.shipping_price, order.currency)
        if grand_total >= MAX_AMOUNT:
            raise InvalidInput("The order's amounts are too large to record.", fields={"lines": [f"Totals must stay below {MAX_AMOUNT}."]})

        order_release_stock(order, actor=actor, reason=f"order {order.number} lines replaced")
        OrderLine.objects.filter(order=order).delete()
        rows_insert(new_lines)
        order_touch(order, subtotal=subtotal, discount_total=discount_total, tax_total=tax_total, grand_total=grand_total)
        order_event(
            order, OrderEvent.Kind.LINE, f"Lines replaced: {len(old_lines)} → {len(new_lines)}", actor=actor,
            data={"from": _line_snapshot(old_lines, order.currency), "to": _line_snapshot(new_lines, order.currency)},
        ).save()
        if rounded:
            order_event(
                order, OrderEvent.Kind.NOTE, f"Quantities rounded up to the catalogue rules: {'; '.join(rounded)}", actor=actor, data={"rounded": rounded}
            ).save()
        order_event_publish(order, "order.updated", changed=["lines"])
        order = _line_holds_review(order, holds, actor=actor)
        if order.status == OrderStatus.PENDING:
            order = order_allocate(order_id=order.pk, actor=actor)
    return order


def _line_holds_review(order: Order, wanted: list[OrderHold], *, actor: Actor) -> Order:
    """Place the line holds the new lines call for, then release those whose cause is gone
    (in that order, so an order never passes through allocation between two holds)."""
    open_holds = {hold.reason: hold for hold in OrderHold.objects.filter(order=order, reason__in=LINE_HOLD_REASONS, released_at__isnull=True)}
    wanted_by_reason = {hold.reason: hold for hold in wanted}
    credit = wanted_by_reason.pop(HoldReason.CREDIT_LIMIT, None)
    # New lines that take the customer past its credit are held for accounting; a credit hold is
    # never lifted by a change of lines (only accounting releases it).
    if credit is not None and not OrderHold.objects.filter(order=order, reason=HoldReason.CREDIT_LIMIT, released_at__isnull=True).exists():
        order_hold_place(order_id=order.pk, reason=HoldReason.CREDIT_LIMIT, detail=credit.detail, actor=actor)
    for reason, hold in wanted_by_reason.items():
        if reason in open_holds:
            OrderHold.objects.filter(pk=open_holds[reason].pk).update(detail=hold.detail)
        else:
            order_hold_place(order_id=order.pk, reason=reason, detail=hold.detail, actor=actor)
    for reason, hold in open_holds.items():
        if reason not in wanted_by_reason:
            order = order_hold_release(hold_id=hold.pk, actor=actor, note="lines replaced")
    return order_lock(order.pk)
