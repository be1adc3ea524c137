"""Requesting a return, judging it against the policy, and the decisions that follow."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.models import Product
from inventory.selectors import products_by_sku
from oms.actors import Actor
from oms.db import rows_insert
from oms.errors import DomainError, InvalidInput, NotFound
from oms.events import events_record
from orders.models import Order, OrderLine, OrderStatus
from orders.services.audit import order_lock
from shipping.services import shipment_void

from ..models import Resolution, ReturnEvent, ReturnLine, ReturnPolicy, ReturnReason, ReturnRequest, ReturnStatus, rma_number_for
from ..selectors import order_lines_committed, order_return_clock, return_policy_for
from .audit import REQUESTED_EVENT, return_event, return_lock, return_order_id, return_payload, return_stream, return_touch, return_transition

# Orders something has left the building for: only their shipped units can come back.
RETURNABLE_ORDER_STATUSES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
MAX_TEXT = 500


@dataclass(frozen=True)
class ReturnLineData:
    """Plain-data: ``quantity`` units of the order's line ``line_number``, sent back for ``reason`` (a code)."""

    line_number: int
    quantity: int
    reason: str
    reason_text: str = ""
    # Exchanges: the SKU sent in place of these units and how many (default: as many as returned).
    exchange_sku: str = ""
    exchange_quantity: int | None = None

    @property
    def replacement_sku(self) -> str:
        return (self.exchange_sku or "").strip()

    @property
    def replacement_quantity(self) -> int:
        return (self.exchange_quantity or self.quantity) if self.replacement_sku else 0


def _whole_above_zero(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _lines_check(lines, reasons: dict[str, ReturnReason], resolution: str) -> None:
    """Malformed lines, each said with what to fix (before anything is read under lock)."""
    if not lines:
        raise InvalidInput("A return needs at least one line.", fields={"lines": ["Name at least one order line to return."]})
    problems: dict[str, list[str]] = {}
    seen = set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        exchange_sku = line.replacement_sku
        if exchange_sku and resolution != Resolution.EXCHANGE:
            problems[f"{where}.exchange_sku"] = [f"Only an exchange names a replacement; this return's resolution is {resolution}."]
        if line.exchange_quantity is not None and not exchange_sku:
            problems[f"{where}.exchange_quantity"] = ["Name the replacement (exchange_sku) with its quantity."]
        elif line.exchange_quantity is not None and not _whole_above_zero(line.exchange_quantity):
            problems[f"{where}.exchange_quantity"] = [f"A whole number above zero, not {line.exchange_quantity!r}."]
        if not _whole_above_zero(line.quantity):
            problems[f"{where}.quantity"] = [f"A whole number above zero, not {line.quantity!r}."]
        if line.line_number in seen:
            problems[f"{where}.line_number"] = [f"Line {line.line_number} is named twice; give its units once."]
        seen.add(line.line_number)
        reason = reasons.get(line.reason)
        if reason is None:
            known = ", ".join(sorted(reasons)) or "none set up"
            problems[f"{where}.reason"] = [f"Unknown reason {line.reason!r}; one of: {known}."]
        elif reason.needs_text and not (line.reason_text or "").strip():
            problems[f"{where}.reason_text"] = [f"Reason {reason.code!r} needs a few words of explanation."]
        if len(line.reason_text or "") > MAX_TEXT:
            problems[f"{where}.reason_text"] = [f"At most {MAX_TEXT} characters."]
    if resolution == Resolution.EXCHANGE and not problems and not any(line.replacement_sku for line in lines):
        problems["lines"] = ["An exchange names the replacement (exchange_sku) of at least one line."]
    if problems:
        raise InvalidInput("The return's lines are malformed; nothing was recorded.", fields=problems)


def _replacements_for(lines, currency: str) -> dict[str, Product]:
    """The products named as replacements, each known, sellable (active) and priced in the
    order's currency; refused with what to fix otherwise."""
    wanted = {line.replacement_sku for line in lines} - {""}
    if not wanted:
        return {}
    products = products_by_sku(wanted)
    problems: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        sku = line.replacement_sku
        if not sku:
            continue
        product = products.get(sku)
        where = f"lines[{index}].exchange_sku"
        if product is None:
            problems[where] = [f"No product with SKU {sku!r}; name a SKU of the catalogue."]
        elif not product.is_active:
            problems[where] = [f"{sku} is not sold any more (inactive); choose another replacement."]
        elif product.currency != currency:
            problems[where] = [f"{sku} is priced in {product.currency}, the order in {currency}; choose a replacement priced in {currency}."]
    if problems:
        raise InvalidInput("A replacement cannot be sent; nothing was recorded.", fields=problems, code="bad_replacement")
    return products


class PolicyFinding(str):
    """One reason a request needs a person, in the words ``return_request`` records (it is that
    string), with its ``kind`` and ``values`` for pages that say it in another language."""

    kind: str
    values: dict

    def __new__(cls, text: str, *, kind: str, **values):
        finding = super().__new__(cls, text)
        finding.kind, finding.values = kind, values
        return finding


def _policy_findings(*, policy: ReturnPolicy, order, lines: dict[int, OrderLine], wanted, clock, now) -> list[PolicyFinding]:
    """Why the request is outside ``policy``, in words for the person who decides (empty: within)."""
    findings = []
    started, basis = clock
    if started is not None:
        days = (now - started).days
        if days > policy.window_days:
            findings.append(PolicyFinding(f"{days} days after {basis}, window {policy.window_days}", kind=f"window_after_{basis}", days=days,
                                          window=policy.window_days))
    if order.status == OrderStatus.COMPLETED:
        findings.append(PolicyFinding(f"order {order.number} is completed (its return window closed)", kind="order_completed", order=order.number))
    for item in wanted:
        findings += line_policy_findings(policy=policy, line=lines[item.line_number])
    return findings


def line_policy_findings(*, policy: ReturnPolicy, line: OrderLine) -> list[PolicyFinding]:
    """Why returning units of ``line`` needs a person under ``policy``, whenever it is asked
    (not returnable, final sale); empty when nothing about the line itself stands in the way."""
    findings = []
    if line.product is not None and not line.product.is_returnable:
        findings.append(PolicyFinding(f"{line.sku} is not returnable", kind="not_returnable", sku=line.sku))
    gross = line.unit_price * line.quantity
    if policy.final_sale_discount_percent and gross > 0 and line.discount * 100 >= gross * policy.final_sale_discount_percent:
        share = (line.discount * 100 / gross).quantize(Decimal("1"))
        findings.append(PolicyFinding(f"{line.sku} (line {line.line_number}) was final sale ({share}% off)", kind="final_sale", sku=line.sku,
                                      line=line.line_number, share=share))
    return findings


@dataclass(frozen=True)
class PolicyAnswer:
    """What the policy says about a return before it is requested: ``findings`` (why it needs a
    person, in the words ``return_request`` records) and whether it would be approved at once."""

    findings: tuple[PolicyFinding, ...]
    auto_approve: bool

    @property
    def within_policy(self) -> bool:
        return not self.findings

    @property
    def approved_at_once(self) -> bool:
        return self.auto_approve and not self.findings


def return_policy_preview(*, order_id: int, lines: list[ReturnLineData], now=None) -> PolicyAnswer:
    """Read-only: the answer :func:`return_request` would give these lines of the order now (the
    same findings, from the same policy and return clock), without locking or writing anything.
    Lines the order does not have are left out (the request itself refuses them)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order with id {order_id}.")
    by_number = {
        line.line_number: line
        for line in OrderLine.objects.filter(order_id=order.pk, line_number__in=[item.line_number for item in lines]).select_related("product")
    }
    policy = return_policy_for(order.channel_id)
    findings = _policy_findings(
        policy=policy, order=order, lines=by_number, wanted=[item for item in lines if item.line_number in by_number],
        clock=order_return_clock(order.pk), now=now or timezone.now(),
    )
    return PolicyAnswer(findings=tuple(findings), auto_approve=policy.auto_approve)


def return_request(
    *, order_id: int, lines: list[ReturnLineData], resolution: str = Resolution.REFUND, customer_comment: str = "", actor: Actor,
) -> ReturnRequest:
    """Record a customer's request to send units of a shipped order back.

    Guarantees: malformed input, an order that shipped nothing (pending, cancelled...), lines not
    on the order, or more units than can still come back are refused with what to fix, nothing
    written. Under the order's lock, units asked for on this and every open return of a line
    plus those already returned never exceed what shipped of it, so two requests racing for the
    last unit cannot both win. A request outside the channel's policy is recorded all the same,
    ``requested`` with ``needs_attention`` saying why; within it and with auto-approval on, it is
    approved at once. Records ``return.requested`` (and ``return.approved``).
    """
    if resolution not in Resolution.values:
        raise InvalidInput(f"{resolution!r} is not a resolution.", fields={"resolution": [f"One of: {', '.join(Resolution.values)}."]})
    if len(customer_comment or "") > 5000:
        raise InvalidInput("The comment is too long.", fields={"customer_comment": ["At most 5000 characters."]})
    reasons = {reason.code: reason for reason in ReturnReason.objects.filter(is_active=True)}
    _lines_check(lines, reasons, resolution)
    now = timezone.now()
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status not in RETURNABLE_ORDER_STATUSES:
            raise DomainError(
                f"Order {order.number} is {order.get_status_display().lower()}: nothing of it has shipped, so nothing can be returned.",
                code="order_not_shipped",
            )
        by_number = {
            line.line_number: line
            for line in OrderLine.objects.filter(order_id=order.pk, line_number__in=[item.line_number for item in lines]).select_related("product")
        }
        unknown = [item.line_number for item in lines if item.line_number not in by_number]
        if unknown:
            raise InvalidInput(
                f"Order {order.number} has no line {', '.join(map(str, unknown))}; nothing was recorded.",
                fields={"lines": [f"Unknown line {number}." for number in unknown]}, code="unknown_line",
            )
        replacements = _replacements_for(lines, order.currency)
        committed = order_lines_committed(order.pk)
        too_many = []
        for item in lines:
            line = by_number[item.line_number]
            left = line.quantity_shipped - line.quantity_returned - committed.get(line.pk, 0)
            if item.quantity > left:
                too_many.append(
                    f"{line.sku} (line {line.line_number}): {item.quantity} asked for, {max(left, 0)} can still come back "
                    f"({line.quantity_shipped} shipped, {line.quantity_returned} returned, {committed.get(line.pk, 0)} on open returns)"
                )
        if too_many:
            raise DomainError("More than shipped: " + "; ".join(too_many) + ". Nothing was recorded.", code="exceeds_returnable")
        policy = return_policy_for(order.channel_id)
        findings = _policy_findings(policy=policy, order=order, lines=by_number, wanted=lines, clock=order_return_clock(order.pk), now=now)
        request = ReturnRequest.objects.create(
            order_id=order.pk, resolution=resolution, customer_comment=(customer_comment or "").strip(),
            needs_attention="; ".join(findings)[:500], policy=policy if policy.pk else None, created_at=now, updated_at=now,
        )
        request.number = rma_number_for(request.pk)
        ReturnRequest.objects.filter(pk=request.pk).update(number=request.number)
        ReturnLine.objects.bulk_create(
            ReturnLine(
                request=request, order_line=by_number[item.line_number], quantity=item.quantity, reason=reasons[item.reason],
                reason_text=(item.reason_text or "").strip(), exchange_product=replacements.get(item.replacement_sku),
                exchange_quantity=item.replacement_quantity,
            )
            for item in lines
        )
        summary = ", ".join(
            f"{by_number[item.line_number].sku} × {item.quantity} ({item.reason})"
            + (f" for {item.replacement_sku} × {item.replacement_quantity}" if item.replacement_sku else "")
            for item in lines
        )
        trail = [return_event(request, ReturnEvent.Kind.CREATED, f"Requested for order {order.number}: {summary}", actor=actor)]
        if findings:
            trail.append(return_event(request, ReturnEvent.Kind.NOTE, f"Needs a person: {request.needs_attention}", actor=actor))
        rows_insert(trail)
        events_record([(REQUESTED_EVENT, return_payload(request, order_number=order.number, needs_attention=request.needs_attention))],
                      stream=return_stream(request.pk), new_stream=True)
        if policy.auto_approve and not findings:
            _approve(request, policy=policy, actor=actor, message="Approved automatically: within the return policy", now=now)
    return request


def _approve(request: ReturnRequest, *, policy: ReturnPolicy, actor: Actor, message: str, now, note: str = "") -> None:
    expires_at = now + timedelta(days=policy.rma_expiry_days)
    values = {"approved_at": now, "expires_at": expires_at}
    if note:
        values["decision_note"] = note[:500]
    return_transition(request, "approve", actor=actor, message=message, values=values, event_data={"expires_at": expires_at.isoformat()})


def _locked(return_id: int) -> ReturnRequest:
    """Lock the return's order, then the return (the one order every return service keeps)."""
    order_lock(return_order_id(return_id))
    return return_lock(return_id)


def return_approve(*, return_id: int, note: str = "", actor: Actor) -> ReturnRequest:
    """A person approves a requested return (also one outside the policy): it may now travel
    until ``expires_at`` (the policy's RMA expiry). Refused unless requested."""
    with transaction.atomic():
        request = _locked(return_id)
        policy = ReturnPolicy.objects.filter(pk=request.policy_id).first() or return_policy_for(request.order.channel_id)
        message = f"Approved{': ' + note.strip() if note.strip() else ''}"
        _approve(request, policy=policy, actor=actor, message=message[:500], now=timezone.now(), note=note.strip())
    return request


def return_reject(*, return_id: int, reason: str, actor: Actor) -> ReturnRequest:
    """A person turns a requested return down, saying why (the customer is told). Refused
    unless requested, or without a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the return is rejected; the customer is told.", fields={"reason": ["A reason is required."]})
    with transaction.atomic():
        request = _locked(return_id)
        return_transition(request, "reject", actor=actor, message=f"Rejected: {reason}"[:500], values={"decision_note": reason[:500]},
                          event_data={"reason": reason[:500]})
    return request


def return_cancel(*, return_id: int, reason: str = "", actor: Actor) -> ReturnRequest:
    """Cancel a return before anything of it was received (requested, approved, label issued,
    in transit). Cancelling a cancelled return returns it unchanged; one with units received
    is refused (complete its receipt instead)."""
    with transaction.atomic():
        request = _locked(return_id)
        if request.status == ReturnStatus.CANCELLED:
            return request
        # Of the statuses a return may be cancelled from, only in transit can hold a partial receipt.
        if request.status == ReturnStatus.IN_TRANSIT and ReturnLine.objects.filter(request_id=request.pk, quantity_received__gt=0).exists():
            raise DomainError(
                f"Return {request.number} has units received already; complete its receipt instead of cancelling it.", code="already_received",
            )
        text = (reason or "").strip()
        values = {"closed_at": timezone.now()}
        if request.exchange_order_id:
            values["needs_attention"] = _with_attention(request, f"cancelled after its replacement order {_exchange_number(request)} was placed")
        return_transition(request, "cancel", actor=actor, message=f"Cancelled{': ' + text if text else ''}"[:500],
                          values=values, event_data={"reason": text[:500]})
    if request.shipment_id is not None:
        _label_void(request, actor=actor)
    return request


def _with_attention(request: ReturnRequest, text: str) -> str:
    """``needs_attention`` with ``text`` added (once)."""
    if text in request.needs_attention:
        return request.needs_attention
    return "; ".join(filter(None, [request.needs_attention, text]))[:500]


def _exchange_number(request: ReturnRequest) -> str:
    return Order.objects.filter(pk=request.exchange_order_id).values_list("number", flat=True).first() or f"#{request.exchange_order_id}"


def _label_void(request: ReturnRequest, *, actor: Actor) -> None:
    """After a return is cancelled: its label must not be used. Voided with the carrier (outside
    the return's transaction); a label the carrier already has is left for a person."""
    try:
        shipment = shipment_void(shipment_id=request.shipment_id, actor=actor)
    except DomainError as error:
        return_attention_add(return_id=request.pk, text=f"return label not voided: {error.message}"[:300], actor=actor)
        return
    with transaction.atomic():
        locked = _locked(request.pk)
        return_touch(locked)
        return_event(locked, ReturnEvent.Kind.LABEL, f"Return label {shipment.tracking_number} voided", actor=actor,
                     data={"shipment_id": shipment.pk, "voided": True}).save()


def return_attention_add(*, return_id: int, text: str, actor: Actor) -> ReturnRequest:
    """Say on a return that a person must look at it (``needs_attention``, and the trail)."""
    with transaction.atomic():
        request = _locked(return_id)
        return_touch(request, needs_attention=_with_attention(request, text))
        return_event(request, ReturnEvent.Kind.NOTE, f"Needs a person: {text}", actor=actor).save()
    return request


def return_close(*, return_id: int, note: str = "", actor: Actor) -> ReturnRequest:
    """Close an inspected return with nothing more to do for it (no refund, no exchange)."""
    with transaction.atomic():
        request = _locked(return_id)
        text = (note or "").strip()
        return_transition(request, "close", actor=actor, message=f"Closed{': ' + text if text else ''}"[:500], values={"closed_at": timezone.now()})
    return request


def return_note_add(*, return_id: int, text: str, actor: Actor) -> ReturnEvent:
    """A note on the return's trail (one more version)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("A note needs some text.", fields={"text": ["This field is required."]})
    with transaction.atomic():
        request = _locked(return_id)
        return_touch(request)
        event = return_event(request, ReturnEvent.Kind.NOTE, text, actor=actor)
        event.save()
    return event


def returns_expire(*, now=None, limit: int = 500, actor: Actor = "job:returns-expire") -> int:
    """Expire approved returns (label issued or not) whose parcel the carrier never scanned by
    their ``expires_at``; returns how many. Each in its own transaction, re-checked under lock,
    so it is safe to run twice and alongside a receipt."""
    now = now or timezone.now()
    due = list(
        ReturnRequest.objects.filter(status__in=[ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED], expires_at__lt=now)
        .order_by("expires_at", "id").values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for return_id in due:
        with transaction.atomic():
            try:
                request = _locked(return_id)
            except NotFound:
                continue
            if request.status not in (ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED) or request.expires_at is None or request.expires_at >= now:
                continue
            values = {"closed_at": now}
            if request.exchange_order_id:
                values["needs_attention"] = _with_attention(
                    request, f"expired after its replacement order {_exchange_number(request)} was placed in advance; the parcel never came",
                )
            return_transition(
                request, "expire", actor=actor, message=f"Expired: no parcel by {request.expires_at:%Y-%m-%d}", values=values,
            )
            expired += 1
    return expired
