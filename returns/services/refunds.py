"""Money back for returns: reserve under the order's lock, call the provider outside any
transaction, record what it said.

The three steps, so that nothing is marked refunded that was not and an order never gives back
more than it took:

1. **Reserve** (one transaction, the order locked, then the return): compute the amount
   (``refund_amounts``), check it against what the order may still refund (its grand total minus
   pending and succeeded refunds) and insert the refund as ``pending`` with an idempotency key.
2. **Send**: the payment adapter (``returns.payments``) is called after that commit.
3. **Record** (one transaction, the same locks): ``succeeded`` (the return becomes ``refunded``
   when it is inspected) or ``failed`` with the provider's words; ``return.refund_succeeded`` /
   ``return.refund_failed`` follow. A failed refund holds nothing and can be retried
   (:func:`refund_retry`) with the same key.

**Store credit on an invoiced order** (:func:`_store_credit_settle`): the customer is made whole
exactly once. A store-credit refund has no provider to call; it is settled in the record step's
transaction. Its credit notes are issued first: what they take off an invoice's open balance is
given back by owing less, and only the rest (what the customer had paid on those invoices beyond
what was left to pay, the notes' ``amount_repaid``, and what no invoice charged, paid up front)
becomes store credit. So ``owed less + store credit = refund amount``: a return of 50.00 from an
unpaid invoice of 100.00 leaves 50.00 to pay and no store credit; from a paid one, 50.00 of store
credit; from one of which 80.00 is paid, 20.00 less to pay and 30.00 of store credit. The refund's
``breakdown`` records the split (``invoice_balance_reduced``, ``store_credit``).

**The original payment of an invoiced order** (:func:`_invoiced_refund_send`): the same rule. The
send and record steps are one transaction under the same locks (order, return, refund, then the
order's invoices): the credit notes are planned first, what they take off the open balances is
owed less, and only the rest (``amount_repaid`` of the notes plus what no invoice charged) is sent
to the provider, decided before it is called. With nothing left (an unpaid invoice), no provider is
called: the refund succeeds as settled by its credit notes (provider ``credit_note``, provider
refund id ``invoices:<numbers>``). The notes are numbered and saved only once the provider took the
refund, so a refusal leaves none and the invoices as they were. The breakdown records
``invoice_balance_reduced`` and ``paid_back``. This path calls the provider inside the transaction
(the invoices stay locked, so no payment can change what was decided; the credit-note number
counter is taken only after the answer). Once the order's refunds give back its whole total,
its payment status becomes ``refunded`` if any of it was paid back, else ``voided`` (nothing was
paid, nothing is owed).
"""

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.db import rows_select
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from oms.money import MAX_AMOUNT, minor_units, money_text, parse_amount, quantize
from orders.models import Invoice, Order, OrderLine, PaymentStatus
from orders.services import order_payment_update
from orders.services.audit import order_lock
from orders.services.credit_notes import CreditNotesPlanned, credit_notes_for_refund, credit_notes_issue, credit_notes_plan

from ..models import (
    REFUND_HOLDING, Refund, RefundMethod, RefundStatus, RefundTiming, Resolution, ReturnEvent, ReturnLine, ReturnReason, ReturnRequest,
    ReturnStatus, ShippingPaidBy,
)
from ..payments import RefundItem, RefundOutcome, StoreCreditAdapter, adapter_for
from ..selectors import return_lines_of, return_policy_for
from .audit import return_event, return_lock, return_order_id, return_publish, return_touch, return_transition
from .refund_amounts import PaidLine, PaidOrder, RefundComputation, RefundUnits, refund_compute

logger = logging.getLogger(__name__)

REFUND_SUCCEEDED_EVENT = "return.refund_succeeded"
REFUND_FAILED_EVENT = "return.refund_failed"
# The provider of a refund of an invoiced order its credit notes settled whole: no adapter was called.
CREDIT_NOTE_PROVIDER = "credit_note"
# How a refund of an invoiced order was settled (its breakdown, the return's trail, its event).
SPLIT_KEYS = ("invoice_balance_reduced", "paid_back", "store_credit")
# A return may be refunded once its parcel is on its way (first scan), received or inspected.
REFUNDABLE_STATUSES = (ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED, ReturnStatus.INSPECTED)
# Good standing (refund on the carrier's first scan): none of the customer's returns of the last
# GOOD_STANDING_DAYS had units missing from the parcel or refused at inspection.
GOOD_STANDING_DAYS = 365
MAX_REASON = 500


def _units_due(line: ReturnLine, status: str) -> int:
    """Units of a return line a refund covers at this point of its life."""
    if status == ReturnStatus.INSPECTED:
        return line.quantity_accepted
    if status == ReturnStatus.RECEIVED:
        return line.quantity_received
    return line.quantity - line.quantity_missing


def _paid_order(order, order_lines: list[OrderLine]) -> PaidOrder:
    return PaidOrder(
        currency=order.currency, discount_total=order.discount_total, shipping_price=order.shipping_price, tax_total=order.tax_total,
        grand_total=order.grand_total,
        lines=tuple(PaidLine(line.pk, line.line_number, line.sku, line.quantity, line.unit_price, line.discount, line.tax)
                    for line in sorted(order_lines, key=lambda line: line.line_number)),
    )


def _held(order_id: int, *, exclude: int | None = None) -> tuple[Decimal, dict[int, int]]:
    """What the order's pending and succeeded refunds hold: their sum and units per order line."""
    rows = Refund.objects.filter(order_id=order_id, status__in=REFUND_HOLDING)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    total, units = Decimal(0), {}
    for amount, breakdown in rows.values_list("amount", "breakdown"):
        total += amount
        for line in (breakdown or {}).get("lines", []):
            units[line["line_id"]] = units.get(line["line_id"], 0) + line["units"]
    return total, units


def _override(amount, reason: str, currency: str) -> Decimal | None:
    if amount is None:
        return None
    problems = {}
    try:
        value = parse_amount(amount)
    except ValueError as error:
        raise InvalidInput("The refund amount is not a number.", fields={"amount": [str(error)]}) from None
    if value <= 0:
        problems["amount"] = ["Must be above zero."]
    elif value >= MAX_AMOUNT:
        problems["amount"] = [f"Must be below {MAX_AMOUNT}."]
    elif quantize(value, currency) != value:
        problems["amount"] = [f"{currency} has {minor_units(currency)} decimals; {value} has more."]
    if not (reason or "").strip():
        problems["reason"] = ["Say why the amount is set by hand."]
    elif len(reason) > MAX_REASON:
        problems["reason"] = [f"At most {MAX_REASON} characters."]
    if problems:
        raise InvalidInput("The refund override is malformed; nothing was recorded.", fields=problems)
    return value


def _refusal_if_refunded(rma: ReturnRequest) -> None:
    existing = Refund.objects.filter(request_id=rma.pk).order_by("-id").values_list("pk", "status").first()
    if existing is None:
        return
    pk, status = existing
    if status == RefundStatus.FAILED:
        raise DomainError(f"Return {rma.number} has a failed refund (#{pk}): retry it.", code="refund_failed_retry",
                          fields={"refund": [f"Retry refund {pk}."]})
    raise DomainError(f"Return {rma.number} is refunded already (refund #{pk}, {status}).", code="already_refunded")


def _refund_create(rma: ReturnRequest, order, *, amount: Decimal, computed: Decimal, breakdown: dict, method: str, actor: Actor,
                   override_reason: str = "") -> Refund:
    """The pending refund row (the caller holds the order's and the return's locks), with the
    adapter its method and channel choose and a new idempotency key for the provider."""
    now = timezone.now()
    return Refund.objects.create(
        request=rma, order=order, amount=amount, currency=order.currency, computed_amount=computed, breakdown=breakdown,
        override_reason=override_reason, method=method, provider=adapter_for(order, method).name, idempotency_key=uuid.uuid4().hex,
        created_at=now, updated_at=now, **actor_fields(actor),
    )


def _refund_reserve(*, return_id: int, amount, reason: str, actor: Actor) -> Refund:
    with transaction.atomic():
        order = order_lock(return_order_id(return_id))
        rma = return_lock(return_id)
        if rma.resolution == Resolution.EXCHANGE:
            raise DomainError(f"Return {rma.number} is an exchange; the exchange settles its money.", code="exchange_not_refunded")
        _refusal_if_refunded(rma)
        if rma.status not in REFUNDABLE_STATUSES:
            raise InvalidTransition(
                f"Return {rma.number} is {rma.get_status_display().lower()}; it can be refunded once its parcel is on its way.",
                fields={"status": [f"Currently {rma.status}."]},
            )
        override = _override(amount, reason, order.currency)
        policy = rma.policy or return_policy_for(order.channel_id)
        lines = return_lines_of(rma.pk)
        order_lines = list(OrderLine.objects.filter(order_id=order.pk))
        held, refunded_units = _held(order.pk)
        refundable = order.grand_total - held
        items, customer_pays_label = [], False
        for line in lines:
            terms = policy.terms_for(line.reason)
            customer_pays_label |= terms["shipping_paid_by"] == ShippingPaidBy.CUSTOMER
            units = _units_due(line, rma.status)
            if units:
                items.append(RefundUnits(line.order_line_id, units, terms["restocking_fee_percent"], terms["restocking_fee_fixed"]))
        label_cost = Decimal(0)
        if customer_pays_label and rma.shipment_id:
            label_cost = rma.shipment.price if rma.shipment.currency == order.currency else Decimal(0)
        computed = refund_compute(
            _paid_order(order, order_lines), items, refunded_units=refunded_units, refund_shipping=policy.refund_original_shipping,
            label_cost=label_cost, refundable=refundable,
        )
        if override is not None and override > refundable:
            raise InvalidInput(
                f"Order {order.number} may refund at most {money_text(max(refundable, 0), order.currency)} more.",
                fields={"amount": [f"At most {quantize(max(refundable, 0), order.currency)}."]},
            )
        final = override if override is not None else computed.amount
        if final <= 0:
            raise DomainError(
                f"Return {rma.number} has nothing to refund (units accepted, fees and what the order already refunded leave "
                f"{money_text(final, order.currency)}); close it instead, or set an amount with a reason.", code="nothing_to_refund",
            )
        method = RefundMethod.STORE_CREDIT if rma.resolution == Resolution.STORE_CREDIT else RefundMethod.ORIGINAL_PAYMENT
        refund = _refund_create(
            rma, order, amount=final, computed=computed.amount, breakdown=computed.as_breakdown(), method=method,
            override_reason=(reason or "").strip() if override is not None else "", actor=actor,
        )
        text = f"Refund #{refund.pk} of {money_text(final, order.currency)} to {refund.get_method_display().lower()} sent"
        if override is not None:
            text += f" (set by hand, computed {money_text(computed.amount, order.currency)}: {refund.override_reason})"
        return_event(rma, ReturnEvent.Kind.REFUND, text, actor=actor, data={"refund_id": refund.pk, "amount": str(final)}).save()
        return_touch(rma)
    return refund


@dataclass(frozen=True)
class RefundEstimate:
    """What a return asked for now would give back once every unit arrives and is accepted:
    ``computation`` (the refund arithmetic); the return label's cost, unknown before it is
    booked, is deducted later when ``customer_pays_label``."""

    computation: RefundComputation
    customer_pays_label: bool

    @property
    def amount(self) -> Decimal:
        return self.computation.amount

    @property
    def currency(self) -> str:
        return self.computation.currency


def return_refund_estimate(*, order_id: int, units: dict[int, tuple[int, str]]) -> RefundEstimate:
    """Read-only: the refund of ``units`` (per order line number: quantity and reason code) of the
    order, by the same arithmetic and terms :func:`return_refund` uses (the channel's policy and
    the reasons' fees, what the order's refunds already hold), locking and writing nothing.
    Lines the order does not have and unknown reasons are left out."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order with id {order_id}.")
    policy = return_policy_for(order.channel_id)
    reasons = {reason.code: reason for reason in ReturnReason.objects.filter(code__in=[code for _, code in units.values()])}
    order_lines = list(OrderLine.objects.filter(order_id=order.pk))
    by_number = {line.line_number: line for line in order_lines}
    held, refunded_units = _held(order.pk)
    items, customer_pays_label = [], False
    for number, (quantity, code) in sorted(units.items()):
        line, reason = by_number.get(number), reasons.get(code)
        if line is None or reason is None or quantity <= 0:
            continue
        terms = policy.terms_for(reason)
        customer_pays_label |= terms["shipping_paid_by"] == ShippingPaidBy.CUSTOMER
        items.append(RefundUnits(line.pk, quantity, terms["restocking_fee_percent"], terms["restocking_fee_fixed"]))
    computed = refund_compute(
        _paid_order(order, order_lines), items, refunded_units=refunded_units, refund_shipping=policy.refund_original_shipping,
        refundable=order.grand_total - held,
    )
    return RefundEstimate(computation=computed, customer_pays_label=customer_pays_label)


def exchange_rest_refund_reserve(*, rma: ReturnRequest, amount: Decimal, actor: Actor) -> Refund | None:
    """Reserve the refund of what an exchange's returned units are worth beyond the replacement,
    to the original payment, and send it after commit. The caller holds the order's and the
    return's locks (as every return service takes them). Never more than the order may still
    refund: the amount is capped there; with nothing left, nothing is reserved (and the trail
    says so). Once per return: a return that has a refund gets no second one."""
    order = rma.order
    if Refund.objects.filter(request_id=rma.pk).exists():
        return None
    held, _units = _held(order.pk)
    final = min(quantize(amount, order.currency), order.grand_total - held)
    if final <= 0:
        return_event(rma, ReturnEvent.Kind.REFUND, f"No refund of the exchange's rest: order {order.number} has nothing left to refund",
                     actor=actor).save()
        return None
    refund = _refund_create(
        rma, order, amount=final, computed=final, breakdown={"exchange_rest": str(final), "lines": []},
        method=RefundMethod.ORIGINAL_PAYMENT, actor=actor,
    )
    return_event(rma, ReturnEvent.Kind.REFUND, f"Refund #{refund.pk} of {money_text(final, order.currency)} (the exchange's rest) sent",
                 actor=actor, data={"refund_id": refund.pk, "amount": str(final)}).save()
    transaction.on_commit(lambda: _refund_send(refund.pk, actor=actor, client_options=None))
    return refund


def _refund_send(refund_id: int, *, actor: Actor, client_options: dict | None) -> Refund:
    invoiced = Exists(Invoice.objects.filter(order_id=OuterRef("order_id")))
    refund = Refund.objects.select_related("order", "order__channel").annotate(invoiced=invoiced).get(pk=refund_id)
    if refund.method == RefundMethod.STORE_CREDIT:
        return _refund_record(refund_id, None, actor=actor)  # settled with its credit notes (module docstring)
    if refund.invoiced:
        return _invoiced_refund_send(refund_id, actor=actor, client_options=client_options)
    return _refund_record(refund_id, _provider_refund(refund, refund.order, refund.amount, client_options), actor=actor)


def _provider_refund(refund: Refund, order: Order, amount: Decimal, client_options: dict | None) -> RefundOutcome:
    """Ask the payment adapter of ``refund`` to pay ``amount`` back; never raises."""
    external = dict(OrderLine.objects.filter(order_id=refund.order_id).values_list("pk", "external_line_id"))
    items = [RefundItem(external.get(line["line_id"], ""), line["sku"], line["units"]) for line in refund.breakdown.get("lines", [])]
    try:
        # Inside the invoiced path's transaction a savepoint, so that a database error here does not
        # break it; elsewhere no transaction at all (the provider is called outside any).
        with transaction.atomic() if transaction.get_connection().in_atomic_block else contextlib.nullcontext():
            adapter = adapter_for(order, refund.method, **(client_options or {}))
            return adapter.refund(order=order, amount=quantize(amount, refund.currency), currency=refund.currency,
                                  key=refund.idempotency_key, lines=items)
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the refund must not stay pending unseen
        logger.exception("Refund %s: the payment adapter failed", refund.pk)
        return RefundOutcome(ok=False, reason=f"The payment adapter failed: {error}"[:MAX_REASON])


def _invoiced_refund_send(refund_id: int, *, actor: Actor, client_options: dict | None) -> Refund:
    """Send a pending refund to the original payment of an invoiced order and record it, in one
    transaction under the record step's locks (module docstring): the credit notes are planned
    first (their invoices locked), what they take off the open balances is owed less, and only the
    rest goes to the provider; with nothing left, no provider is called. The notes are issued only
    when the provider took the refund: a refusal leaves none (and the invoices as they were)."""
    with transaction.atomic():
        order, rma, refund = _refund_locks(refund_id)
        if refund.status != RefundStatus.PENDING:
            return refund  # recorded meanwhile (a twin retry): the first record stands
        planned = credit_notes_plan(order=order, refund_id=refund.pk, amount=refund.amount, breakdown=refund.breakdown,
                                    reason=_credit_reason(refund, rma))
        owed_less = planned.owed_less if planned is not None else Decimal(0)
        to_pay = refund.amount - owed_less
        split = {"invoice_balance_reduced": str(quantize(owed_less, refund.currency)), "paid_back": str(quantize(to_pay, refund.currency))}
        if to_pay > 0:
            outcome = _provider_refund(refund, order, to_pay, client_options)
        else:
            outcome = RefundOutcome(ok=True)  # the credit notes settle it all: nothing to send
        return _refund_record(refund_id, outcome, actor=actor, planned=planned, split=split)


def _refund_locks(refund_id: int) -> tuple[Order, ReturnRequest | None, Refund]:
    """The order, the return and the refund, locked in that order (every refund step's locks)."""
    order_id, return_id = Refund.objects.filter(pk=refund_id).values_list("order_id", "request_id").get()
    order = order_lock(order_id)
    rma = return_lock(return_id) if return_id else None
    return order, rma, rows_select(Refund, "id", [refund_id], lock=True)[0]


def _paid_back(amount: Decimal, breakdown: dict) -> Decimal:
    """What of a succeeded refund reached the customer as money or store credit: all of it but
    what its credit notes took off an open invoice balance."""
    return amount - Decimal((breakdown or {}).get("invoice_balance_reduced") or 0)


class _StoreCreditRefused(Exception):
    def __init__(self, outcome: RefundOutcome):
        super().__init__(outcome.reason)
        self.outcome = outcome


def _store_credit_settle(order, rma: ReturnRequest | None, refund: Refund, *, actor: Actor) -> RefundOutcome:
    """Settle a pending store-credit ``refund`` in the caller's transaction (which holds the
    order's, the return's and the refund's locks): issue its credit notes, then grant as store
    credit only what they did not take off an open invoice balance (module docstring), so that
    what the customer owes less plus the store credit granted is the refund's amount, once. A
    refused grant (e.g. no customer) takes the credit notes back with it and answers ``ok=False``."""
    try:
        with transaction.atomic():
            notes = credit_notes_for_refund(order=order, refund_id=refund.pk, amount=refund.amount, breakdown=refund.breakdown,
                                            reason=_credit_reason(refund, rma), actor=actor)
            owed_less = sum((note.total - note.amount_repaid for note in notes), Decimal(0))
            to_credit = refund.amount - owed_less
            outcome = RefundOutcome(ok=True, provider_refund_id="invoices:" + ",".join(note.number for note in notes))
            if to_credit > 0:
                outcome = StoreCreditAdapter().refund(order=order, amount=to_credit, currency=refund.currency, key=refund.idempotency_key,
                                                      lines=[])
                if not outcome.ok:
                    raise _StoreCreditRefused(outcome)
    except _StoreCreditRefused as refused:
        return refused.outcome
    except DomainError as error:
        return RefundOutcome(ok=False, reason=error.message[:MAX_REASON])
    refund.breakdown = {**refund.breakdown, "invoice_balance_reduced": str(quantize(owed_less, refund.currency)),
                        "store_credit": str(quantize(to_credit, refund.currency))}
    return outcome


def _refund_record(refund_id: int, outcome: RefundOutcome | None, *, actor: Actor, planned: CreditNotesPlanned | None = None,
                   split: dict | None = None) -> Refund:
    """Record what the provider answered (``outcome``) for a pending refund; ``None`` for a
    store-credit refund, settled here (:func:`_store_credit_settle`). ``planned`` and ``split``:
    an invoiced order's credit notes and what they left to pay back, decided before the provider
    was called in this transaction (:func:`_invoiced_refund_send`)."""
    with transaction.atomic():
        order, rma, refund = _refund_locks(refund_id)
        if refund.status != RefundStatus.PENDING:
            return refund  # recorded meanwhile (a twin retry): the first record stands
        if outcome is None:
            outcome = _store_credit_settle(order, rma, refund, actor=actor)
        elif outcome.ok and split is not None:
            refund.breakdown = {**refund.breakdown, **split}
            notes = credit_notes_issue(planned, actor=actor)
            if Decimal(split["paid_back"]) <= 0:  # no provider was called: the credit notes are the refund
                outcome = RefundOutcome(ok=True, provider_refund_id="invoices:" + ",".join(note.number for note in notes))
                refund.provider = CREDIT_NOTE_PROVIDER
        elif outcome.ok and refund.method != RefundMethod.STORE_CREDIT:
            credit_notes_for_refund(order=order, refund_id=refund.pk, amount=refund.amount, breakdown=refund.breakdown,
                                    reason=_credit_reason(refund, rma), actor=actor)  # issues none for an order without invoices
        now = timezone.now()
        refund.attempts += 1
        money = money_text(refund.amount, refund.currency)
        if outcome.ok:
            refund.succeed()
            settled = refund.settled_text() if "invoice_balance_reduced" in refund.breakdown else ""
            values = {"provider_refund_id": outcome.provider_refund_id[:120], "provider_reason": "", "succeeded_at": now,
                      "breakdown": refund.breakdown, "provider": refund.provider}
            if refund.provider == CREDIT_NOTE_PROVIDER:
                text = f"Refund #{refund.pk} of {money} settled by credit note ({values['provider_refund_id']}); nothing paid back"
            else:
                text = f"Refund #{refund.pk} of {money} succeeded ({refund.provider})"
            text += f": {settled}" if settled else ""
            name = REFUND_SUCCEEDED_EVENT
        else:
            refund.fail()
            settled = ""
            values = {"provider_reason": (outcome.reason or "No reason given.")[:MAX_REASON], "failed_at": now}
            text, name = f"Refund #{refund.pk} of {money} failed: {values['provider_reason']}", REFUND_FAILED_EVENT
            if split is not None:
                text += (f" ({money_text(Decimal(split['paid_back']), refund.currency)} was to be paid back; no credit note issued, "
                         "the invoices are as they were)")
        Refund.objects.filter(pk=refund.pk).update(status=refund.status, attempts=refund.attempts, updated_at=now, **values)
        for key, value in values.items():
            setattr(refund, key, value)
        split_payload = {key: refund.breakdown[key] for key in SPLIT_KEYS if outcome.ok and key in refund.breakdown}
        if rma is not None:
            return_event(rma, ReturnEvent.Kind.REFUND, text[:500], actor=actor,
                         data={"refund_id": refund.pk, "status": refund.status, "amount": str(refund.amount), **split_payload}).save()
            if outcome.ok and rma.status == ReturnStatus.INSPECTED:
                return_transition(rma, "refund", actor=actor, message=f"Settled {money}: {settled}" if settled else f"Refunded {money}",
                                  values={"closed_at": now})
            else:
                return_touch(rma)
            return_publish(rma, name, refund_id=refund.pk, amount=str(refund.amount), currency=refund.currency, method=refund.method,
                           provider=refund.provider, reason=refund.provider_reason, **split_payload)
        if outcome.ok:
            _order_payment_status_after_refund(order, actor=actor)
    return refund


def _order_payment_status_after_refund(order: Order, *, actor: Actor) -> None:
    """Once the order's succeeded refunds give back its whole grand total: ``refunded`` when any of
    it was paid back (money or store credit), ``voided`` when all of it came off open invoice
    balances (nothing had been paid, nothing is owed, nothing was paid back)."""
    given, paid_back = Decimal(0), Decimal(0)
    for amount, breakdown in Refund.objects.filter(order_id=order.pk, status=RefundStatus.SUCCEEDED).values_list("amount", "breakdown"):
        given += amount
        paid_back += _paid_back(amount, breakdown)
    if given < order.grand_total:
        return
    status = PaymentStatus.REFUNDED if paid_back > 0 else PaymentStatus.VOIDED
    if order.payment_status not in (status, PaymentStatus.REFUNDED):  # never undo what a platform reported as refunded
        order_payment_update(order_id=order.pk, payment_status=status, actor=actor)


def _credit_reason(refund: Refund, rma: ReturnRequest | None) -> str:
    """Why a credit note credits: the return and its reasons, or the amount set by hand."""
    parts = [f"Refund #{refund.pk}"]
    if rma is not None:
        reasons = sorted(set(rma.lines.values_list("reason__label", flat=True)) - {None})
        parts.append(f"return {rma.number}" + (f" ({', '.join(reasons)})" if reasons else ""))
    if refund.override_reason:
        parts.append(f"amount set by hand: {refund.override_reason}")
    return "; ".join(parts)[:500]


def return_refund(
    *, return_id: int, amount=None, reason: str = "", actor: Actor, client_options: dict | None = None,
) -> Refund:
    """Refund a return (its resolution says where to: the original payment or store credit).

    The amount is computed from what the customer paid for the units (accepted at inspection;
    received before; requested on the first scan), or set by hand (``amount`` with a ``reason``),
    never above what the order may still refund. Reserved as pending under the order's lock,
    sent to the payment adapter after commit, recorded as succeeded or failed. Refused (nothing
    recorded) for an exchange, before the parcel is on its way, or when the return already has a
    refund (a failed one is retried with :func:`refund_retry`)."""
    refund = _refund_reserve(return_id=return_id, amount=amount, reason=reason, actor=actor)
    return _refund_send(refund.pk, actor=actor, client_options=client_options)


def refund_retry(*, refund_id: int, actor: Actor, client_options: dict | None = None) -> Refund:
    """Send a failed refund again, with the same amount and idempotency key (a provider that
    did take the first attempt answers with that refund instead of paying twice). Refused unless
    failed, or when the order's other refunds now leave less than its amount."""
    with transaction.atomic():
        found = Refund.objects.filter(pk=refund_id).values_list("order_id", "request_id").first()
        if found is None:
            raise NotFound(f"No refund with id {refund_id}.", code="unknown_refund")
        order = order_lock(found[0])
        rma = return_lock(found[1]) if found[1] else None
        refund = rows_select(Refund, "id", [refund_id], lock=True)[0]
        if refund.status != RefundStatus.FAILED:
            raise InvalidTransition(f"Refund #{refund.pk} is {refund.status}; only a failed refund is retried.",
                                    fields={"status": [f"Currently {refund.status}."]})
        held, _units = _held(order.pk, exclude=refund.pk)
        if refund.amount > order.grand_total - held:
            raise DomainError(
                f"Order {order.number} may refund only {money_text(order.grand_total - held, order.currency)} more; refund #{refund.pk} "
                f"is {money_text(refund.amount, refund.currency)}.", code="exceeds_refundable",
            )
        refund.retry()
        Refund.objects.filter(pk=refund.pk).update(status=refund.status, updated_at=timezone.now())
        if rma is not None:
            return_event(rma, ReturnEvent.Kind.REFUND, f"Refund #{refund.pk} sent again", actor=actor, data={"refund_id": refund.pk}).save()
            return_touch(rma)
    return _refund_send(refund.pk, actor=actor, client_options=client_options)


def refunds_pending_resend(*, older_than_minutes: int = 15, limit: int = 100, actor: Actor = "job:refunds_pending_resend") -> int:
    """Send again every refund still pending ``older_than_minutes`` after it was last sent: the
    process that sent it died before recording the provider's answer. Same amount and key, so
    the provider never pays twice; the first outcome recorded stands. Returns how many."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = list(Refund.objects.filter(status=RefundStatus.PENDING, updated_at__lt=cutoff).order_by("id").values_list("pk", flat=True)[:limit])
    for refund_id in stale:
        _refund_send(refund_id, actor=actor, client_options=None)
    return len(stale)


def customer_in_good_standing(customer_id: int | None, *, now=None) -> bool:
    """A known customer none of whose returns of the last :data:`GOOD_STANDING_DAYS` days had
    units missing from the parcel or refused at inspection."""
    if customer_id is None:
        return False
    since = (now or timezone.now()) - timedelta(days=GOOD_STANDING_DAYS)
    doubtful = Q(quantity_missing__gt=0) | Q(request__inspected_at__isnull=False, quantity_accepted__lt=F("quantity_received"))
    return not ReturnLine.objects.filter(doubtful, request__order__customer_id=customer_id, request__created_at__gte=since).exists()


# The moment of a return's life (the event that announces it) at which each timing refunds.
TIMING_MOMENTS = {RefundTiming.FIRST_SCAN: ReturnStatus.IN_TRANSIT, RefundTiming.ON_RECEIPT: ReturnStatus.RECEIVED,
                  RefundTiming.AFTER_INSPECTION: ReturnStatus.INSPECTED}


def return_refund_due(*, return_id: int, moment: str, actor: Actor) -> Refund | None:
    """Refund a return when its policy's timing says this ``moment`` (a status it just reached)
    is the one: after inspection, on receipt, or on the first scan for a customer in good
    standing. Inspection refunds any refund/store-credit return not refunded earlier, and moves
    one refunded earlier to ``refunded``. Safe to run twice (a return has one refund)."""
    rma = ReturnRequest.objects.select_related("order", "policy").filter(pk=return_id).first()
    if rma is None or rma.resolution not in (Resolution.REFUND, Resolution.STORE_CREDIT) or rma.status != moment:
        return None
    latest = Refund.objects.filter(request_id=rma.pk).order_by("-id").first()
    if latest is not None:
        if moment == ReturnStatus.INSPECTED and latest.status == RefundStatus.SUCCEEDED:
            with transaction.atomic():
                order_lock(rma.order_id)
                locked = return_lock(rma.pk)
                if locked.status == ReturnStatus.INSPECTED:
                    return_transition(locked, "refund", actor=actor, message=f"Refunded earlier (refund #{latest.pk})",
                                      values={"closed_at": timezone.now()})
        return None
    policy = rma.policy or return_policy_for(rma.order.channel_id)
    due = TIMING_MOMENTS.get(policy.refund_timing) == moment or moment == ReturnStatus.INSPECTED
    if policy.refund_timing == RefundTiming.FIRST_SCAN and moment == ReturnStatus.IN_TRANSIT:
        due = customer_in_good_standing(rma.order.customer_id)
    if not due:
        return None
    try:
        return return_refund(return_id=rma.pk, actor=actor)
    except DomainError as error:
        # e.g. nothing left to refund: the return waits for a person, who sees why on its trail.
        logger.info("Refund of %s at %s not made: %s", rma.number, moment, error.message)
        return None


def on_return_refund_moment(event) -> None:
    """Subscriber of ``return.in_transit``, ``return.received``, ``return.inspected``."""
    payload = event.payload
    return_refund_due(return_id=payload["return_id"], moment=payload["status"], actor="system:refund-timing")
