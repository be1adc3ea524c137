"""Exchanges: the replacement is a new order through ordinary intake, linked to its return.

The returned units' value pays for the replacement: the new order is paid when it covers the
replacement, and left pending for the customer's difference when the replacement costs more;
what the returned units are worth beyond it is refunded (:func:`exchange_rest_refund`).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from oms.actors import Actor
from oms.errors import DomainError, InvalidTransition, NotFound
from oms.money import money_text, quantize
from orders.models import PaymentStatus
from orders.services import AddressData, LineData, OrderIntakeData, order_cancel, order_intake, order_note_add

from ..models import RECEIVABLE, Resolution, ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest, ReturnStatus
from ..selectors import return_policy_for
from .audit import return_event, return_publish, return_touch, return_transition
from .refunds import exchange_rest_refund_reserve
from .requests import _locked, _with_attention, return_attention_add

logger = logging.getLogger(__name__)

EXCHANGE_CREATED_EVENT = "return.exchange_created"
_ADDRESS_KEYS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone", "pickup_point", "pickup_point_name")


def exchange_external_id(number: str) -> str:
    """The replacement order's external id on the original channel: one per return, so a retry
    finds the order already placed instead of placing a second."""
    return f"exchange-{number}"


@dataclass(frozen=True)
class ExchangePlan:
    intake: OrderIntakeData
    replacement_value: Decimal
    returned_value: Decimal

    @property
    def balance(self) -> Decimal:
        """Positive: the customer pays the difference; negative: the rest is refunded."""
        return self.replacement_value - self.returned_value


def _returned_value(line: ReturnLine, units: int) -> Decimal:
    """What the customer paid for ``units`` of the order line: its share of the line's total
    (price less the line's discount, with its tax)."""
    order_line = line.order_line
    if not units or not order_line.quantity:
        return Decimal(0)
    return order_line.line_total * units / order_line.quantity


def _address(snapshot: dict | None) -> AddressData | None:
    if not snapshot:
        return None
    return AddressData(**{key: str(snapshot.get(key) or "") for key in _ADDRESS_KEYS})


def _exchange_plan(request: ReturnRequest, lines: list[ReturnLine], *, advance: bool) -> ExchangePlan:
    """The replacement order's intake input and the amounts. In advance the returned units are
    those asked for (the parcel has not come yet); otherwise those accepted at inspection."""
    order = request.order
    currency = order.currency
    replacements = [line for line in lines if line.exchange_product_id]
    returned = sum((_returned_value(line, line.quantity if advance else line.quantity_accepted) for line in lines), Decimal(0))
    returned = quantize(returned, currency)
    intake_lines = [
        LineData(sku=line.exchange_product.sku, quantity=line.exchange_quantity, unit_price=quantize(line.exchange_product.price, currency),
                 name=line.exchange_product.name)
        for line in replacements
    ]
    replacement = quantize(sum((item.unit_price * item.quantity for item in intake_lines), Decimal(0)), currency)
    customer = order.customer
    intake = OrderIntakeData(
        channel=order.channel.code, external_id=exchange_external_id(request.number), currency=currency, email=order.email,
        first_name=customer.first_name if customer else "", last_name=customer.last_name if customer else "",
        phone=str(customer.phone or "") if customer else "",
        shipping_address=_address(order.shipping_address) or AddressData(country=order.ship_country),
        billing_address=_address(order.billing_address), lines=intake_lines,
        # The returned units pay for the replacement; only a difference the customer owes waits.
        payment_status=PaymentStatus.PAID if replacement <= returned else PaymentStatus.PENDING,
        note=f"Exchange for return {request.number} of order {order.number}.",
    )
    return ExchangePlan(intake=intake, replacement_value=replacement, returned_value=returned)


def _is_due(request: ReturnRequest, policy: ReturnPolicy) -> bool:
    """The replacement may be placed now: in advance once approved and until received back;
    otherwise once inspected."""
    if request.status == ReturnStatus.INSPECTED:
        return True
    return policy.advance_exchange and request.status in (*RECEIVABLE, ReturnStatus.RECEIVED)


def exchange_rest_refund(request: ReturnRequest, amount: Decimal, actor: Actor) -> None:
    """The returned units are worth ``amount`` more than the replacement: that rest is refunded
    to the original payment once the units are inspected (an advance exchange's rest waits for
    the parcel; it is recorded as due until then). The caller holds the order's and the
    return's locks."""
    currency = request.order.currency
    if request.status != ReturnStatus.INSPECTED:
        return_event(
            request, ReturnEvent.Kind.NOTE, f"Refund of {money_text(amount, currency)} due once the returned units are inspected",
            actor=actor, data={"refund_due": str(quantize(amount, currency)), "currency": currency},
        ).save()
        return
    exchange_rest_refund_reserve(rma=request, amount=amount, actor=actor)


def return_exchange_place(*, return_id: int, actor: Actor) -> ReturnRequest:
    """Place the replacement order of an exchange and link it to the return; an inspected return
    becomes ``exchanged``.

    Guarantees: the order goes through ordinary intake on the original order's channel, for its
    customer and shipping address, lines at the replacements' catalogue prices, with the external
    id ``exchange-<RMA number>``: a retry (or two racing calls) finds the same order, never a
    second. The intake runs outside the return's lock (it reserves stock); the link is made
    under the order's and the return's locks. ``exchange_balance`` is the replacement's value
    less the returned units' (asked for when in advance, accepted at inspection otherwise): the
    order is paid when it is not positive, else pending for the customer's difference; a
    negative balance is refunded (:func:`exchange_rest_refund`). Refused with what to fix: not
    an exchange, not due yet (before approval; before inspection unless the policy exchanges in
    advance), nothing accepted at inspection, or a replacement intake refuses. If the return was
    cancelled while the order was being placed, that order is cancelled and the call refused.
    Records ``return.exchange_created``.
    """
    request = ReturnRequest.objects.select_related("order", "order__channel", "order__customer").filter(pk=return_id).first()
    if request is None:
        raise NotFound(f"No return with id {return_id}.", code="unknown_return")
    if request.resolution != Resolution.EXCHANGE:
        raise DomainError(
            f"Return {request.number} asks for a {request.get_resolution_display().lower()}, not an exchange.", code="not_an_exchange",
        )
    policy = ReturnPolicy.objects.filter(pk=request.policy_id).first() or return_policy_for(request.order.channel_id)
    plan = result = None
    if request.exchange_order_id is None:
        if not _is_due(request, policy):
            when = "approved" if policy.advance_exchange else "inspected"
            raise InvalidTransition(
                f"Return {request.number} is {request.get_status_display().lower()}; its replacement is placed once it is {when}.",
                fields={"status": [f"Currently {request.status}."]},
            )
        advance = request.status != ReturnStatus.INSPECTED
        lines = list(ReturnLine.objects.filter(request_id=request.pk).select_related("order_line", "exchange_product").order_by("id"))
        if not advance and not any(line.quantity_accepted for line in lines):
            raise DomainError(
                f"Nothing of return {request.number} was accepted at inspection; close it or decide with the customer.", code="nothing_accepted",
            )
        plan = _exchange_plan(request, lines, advance=advance)
        result = order_intake(data=plan.intake, actor=actor)
    orphan = None
    with transaction.atomic():
        request = _locked(return_id)
        if request.exchange_order_id is None and plan is not None:
            if not _is_due(request, policy):
                orphan = result.order
            else:
                _exchange_link(request, plan=plan, order=result.order, actor=actor)
        if orphan is None and request.status == ReturnStatus.INSPECTED and request.exchange_order_id is not None:
            values = {"closed_at": timezone.now()}
            if plan is None:  # placed in advance, valued at the units asked for: were they all accepted?
                units = ReturnLine.objects.filter(request_id=request.pk).aggregate(asked=Sum("quantity"), accepted=Sum("quantity_accepted"))
                if units["accepted"] < units["asked"]:
                    values["needs_attention"] = _with_attention(
                        request, f"exchanged in advance for {units['asked']} unit(s), {units['accepted']} accepted at inspection",
                    )
                elif request.exchange_balance is not None and request.exchange_balance < 0:
                    exchange_rest_refund_reserve(rma=request, amount=-request.exchange_balance, actor=actor)
            return_transition(
                request, "exchange", actor=actor, values=values, message=f"Exchanged: replacement order {request.exchange_order.number}",
            )
    if orphan is not None:
        order_cancel(order_id=orphan.pk, actor=actor, reason=f"return {request.number} is {request.status}; no exchange")
        raise InvalidTransition(
            f"Return {request.number} became {request.get_status_display().lower()} meanwhile; its replacement order {orphan.number} was cancelled.",
        )
    if result is not None and result.created and plan.balance > 0:
        order_note_add(
            order_id=result.order.pk, actor=actor,
            text=f"Paid by the units returned on {request.number} up to {money_text(plan.returned_value, plan.intake.currency)}; "
            f"the customer pays the difference of {money_text(plan.balance, plan.intake.currency)}.",
        )
    return request


def _exchange_link(request: ReturnRequest, *, plan: ExchangePlan, order, actor: Actor) -> None:
    """Under the return's lock: the replacement order and balance on the return, its trail, the
    event, and the refund of a negative balance."""
    currency = plan.intake.currency
    balance = plan.balance
    return_touch(request, exchange_order_id=order.pk, exchange_balance=balance)
    request.exchange_order = order
    if balance > 0:
        settle = f"the customer pays {money_text(balance, currency)} more"
    elif balance < 0:
        settle = f"{money_text(-balance, currency)} to refund"
    else:
        settle = "even"
    return_event(
        request, ReturnEvent.Kind.EXCHANGE,
        f"Replacement order {order.number}: {money_text(plan.replacement_value, currency)} for returned units worth "
        f"{money_text(plan.returned_value, currency)}; {settle}",
        actor=actor, data={"order": order.number, "replacement_value": str(plan.replacement_value),
                           "returned_value": str(plan.returned_value), "balance": str(balance), "currency": currency},
    ).save()
    return_publish(
        request, EXCHANGE_CREATED_EVENT, exchange_order=order.number, exchange_order_id=order.pk, balance=str(balance), currency=currency,
    )
    if balance < 0:
        exchange_rest_refund(request, -balance, actor)


def on_return_exchange_due(event) -> None:
    """Subscriber of ``return.approved`` and ``return.inspected``: an exchange's replacement is
    placed when due (in advance at approval, otherwise after inspection). A refusal (e.g. the
    replacement is no longer sold) is left for a person: the return says why, and
    ``POST /returns/{number}/exchange/`` places it once fixed."""
    payload = event.payload
    if payload.get("resolution") != Resolution.EXCHANGE:
        return
    request = ReturnRequest.objects.select_related("order").filter(pk=payload.get("return_id")).first()
    if request is None or request.exchange_order_id is not None and request.status != ReturnStatus.INSPECTED:
        return
    policy = ReturnPolicy.objects.filter(pk=request.policy_id).first() or return_policy_for(request.order.channel_id)
    if not _is_due(request, policy):
        return
    try:
        return_exchange_place(return_id=request.pk, actor="job:returns-exchange")
    except DomainError as error:
        logger.warning("The replacement of return %s was not placed: %s", request.number, error.message)
        return_attention_add(return_id=request.pk, text=f"replacement not placed: {error.message}"[:300], actor="job:returns-exchange")
