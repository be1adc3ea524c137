"""The subscribers: which domain event is which kind of message, for whom, about what.

Each subscriber only records log rows (``notifications_record``); rendering and sending happen
in a task after commit. The event's uuid is the idempotency key, so the outbox sweep's replays
send nothing. Registered by :func:`subscribers_register` from ``PortalConfig.ready()``.
"""

import datetime
import uuid
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from oms.events import subscribe

from ..models import NotificationKind as Kind
from .log import notifications_record

_muted = False


@contextmanager
def notifications_muted():
    """Record no notification while inside (the demo's seeding plays months of history that
    its fictitious customers must not be told of)."""
    global _muted
    before, _muted = _muted, True
    try:
        yield
    finally:
        _muted = before


# The hold reasons the customer can do something about (the others are ours to clear).
CUSTOMER_HOLD_REASONS = ("payment", "address")


def _order_notify(event, kind: str, order_id: int | None, *, context: dict | None = None, cause: str = "", event_uuid=None) -> None:
    from orders.models import Order

    if not order_id or _muted:
        return
    order = Order.objects.select_related("customer").filter(pk=order_id).only("pk", "channel_id", "customer").first()
    if order is None or order.customer is None:
        return  # a guest order has no customer to write to (nor a preferences link to offer)
    with transaction.atomic():
        notifications_record(
            event_uuid=event_uuid or event.uuid, event_name=event.name if event else "job", kind=kind, customer=order.customer,
            order_id=order.pk, channel_id=order.channel_id, context=context or {}, cause=cause,
        )


def _exchange_of(order_id: int):
    from returns.models import ReturnRequest

    return ReturnRequest.objects.filter(exchange_order_id=order_id).only("pk", "number", "order_id").first()


def on_order_created(event) -> None:
    order_id = event.payload.get("order_id")
    if not _muted and _exchange_of(order_id) is None:  # a replacement order: the customer hears of its parcel instead
        _order_notify(event, Kind.ORDER_CONFIRMED, order_id)


def on_order_held(event) -> None:
    payload = event.payload
    reasons = payload.get("reasons") or ([payload["reason"]] if payload.get("reason") else [])
    for reason in reasons:
        if reason in CUSTOMER_HOLD_REASONS:
            _order_notify(event, Kind.ORDER_ON_HOLD, payload.get("order_id"), context={"hold_reason": reason})
            return


def on_order_backordered(event) -> None:
    from orders.models import Order

    order = Order.objects.filter(pk=event.payload.get("order_id")).only("promised_ship_date").first()
    expected = order.promised_ship_date.isoformat() if order is not None and order.promised_ship_date else ""
    _order_notify(event, Kind.BACKORDERED, event.payload.get("order_id"), context={"expected_date": expected} if expected else {})


def on_order_cancelled(event) -> None:
    _order_notify(event, Kind.CANCELLED, event.payload.get("order_id"), context={"reason": event.payload.get("reason", "")})


def on_fulfillment_shipped(event) -> None:
    from fulfillment.models import FulfillmentOrder

    payload = event.payload
    fulfillment_order = FulfillmentOrder.objects.filter(number=payload.get("fulfillment_order")).only("pk", "shipment_id", "order_id").first()
    if fulfillment_order is None:
        return
    context = {"shipment_id": fulfillment_order.shipment_id, "fulfillment_order": payload.get("fulfillment_order"),
               "carrier": payload.get("carrier_name") or payload.get("carrier", ""), "tracking_number": payload.get("tracking_number", "")}
    exchange = _exchange_of(fulfillment_order.order_id)
    if exchange is not None:
        context.update(return_id=exchange.pk, original_order_id=exchange.order_id)
        _order_notify(event, Kind.EXCHANGE_SHIPPED, fulfillment_order.order_id, context=context)
    else:
        _order_notify(event, Kind.SHIPPED, fulfillment_order.order_id, context=context)


def _outbound_order_id(payload: dict) -> int | None:
    """The order an outbound shipment belongs to (through its fulfillment order)."""
    from fulfillment.models import FulfillmentOrder

    if payload.get("direction", "outbound") != "outbound":
        return None
    return FulfillmentOrder.objects.filter(shipment_id=payload.get("shipment_id")).values_list("order_id", flat=True).first()


def on_shipment_moved(event) -> None:
    """out_for_delivery and delivered: the parcel's moments (a status passed through on the way
    to a later one is not announced)."""
    if event.payload.get("passed_through"):
        return
    kind = Kind.OUT_FOR_DELIVERY if event.name == "shipment.out_for_delivery" else Kind.DELIVERED
    _order_notify(event, kind, _outbound_order_id(event.payload), context={"shipment_id": event.payload.get("shipment_id")})


def on_shipment_delayed(event) -> None:
    """A late parcel (past its promised date, or silent) or a delivery exception: one delay
    notice per cause, with a new estimate (a working day later than it was promised, at the earliest tomorrow)."""
    payload = event.payload
    reason = payload.get("reason") or event.name.rsplit(".", 1)[-1]
    promised = payload.get("promised_delivery_date")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    estimate = max(datetime.date.fromisoformat(promised) + datetime.timedelta(days=1), tomorrow) if promised else tomorrow
    context = {"shipment_id": payload.get("shipment_id"), "delay_reason": reason, "new_estimate": estimate.isoformat()}
    _order_notify(event, Kind.DELAYED, _outbound_order_id(payload), context=context, cause=f"shipment:{payload.get('shipment_id')}:{reason}")


def _return_notify(event, kind: str, **extra) -> None:
    payload = event.payload
    _order_notify(event, kind, payload.get("order_id"), context={"return_id": payload.get("return_id"), **extra})


def on_return_approved(event) -> None:
    _return_notify(event, Kind.RETURN_APPROVED)


def on_return_received(event) -> None:
    _return_notify(event, Kind.RETURN_RECEIVED)


def on_refund_succeeded(event) -> None:
    payload = event.payload
    # How a refund of an invoiced order was settled (``returns.services.refunds``): the words follow it.
    split = {f"refund_{name}": payload[key] for key, name in REFUND_SPLIT.items() if payload.get(key)}
    _return_notify(event, Kind.REFUND_ISSUED, refund_amount=payload.get("amount"), refund_currency=payload.get("currency", ""),
                   refund_method=payload.get("method", ""), **split)


# The refund event's split of the amount, and what the message calls each part.
REFUND_SPLIT = {"paid_back": "paid_back", "invoice_balance_reduced": "off_invoice", "store_credit": "store_credit"}


SUBSCRIBERS = {
    "order.created": on_order_created,
    "order.held": on_order_held,
    "order.backordered": on_order_backordered,
    "order.cancelled": on_order_cancelled,
    "fulfillment.shipped": on_fulfillment_shipped,
    "shipment.out_for_delivery": on_shipment_moved,
    "shipment.delivered": on_shipment_moved,
    "shipment.late": on_shipment_delayed,
    "shipment.exception": on_shipment_delayed,
    "return.approved": on_return_approved,
    "return.received": on_return_received,
    "return.refund_succeeded": on_refund_succeeded,
}


def subscribers_register() -> None:
    for name, handler in SUBSCRIBERS.items():
        subscribe(name, handler)


def backorder_delays_notify(*, today: datetime.date | None = None, limit: int = 500) -> int:
    """Backordered orders whose expected (promised ship) date has passed: one delay notice per
    order and date, with a new estimate. The periodic job's work; returns how many orders."""
    from orders.models import Order, OrderStatus

    today = today or timezone.localdate()
    overdue = list(
        Order.objects.filter(status=OrderStatus.BACKORDERED, promised_ship_date__lt=today, customer__isnull=False)
        .order_by("id").values_list("id", "promised_ship_date")[:limit]
    )
    for order_id, promised in overdue:
        cause = f"backorder:{order_id}:{promised.isoformat()}"
        estimate = today + datetime.timedelta(days=7)
        _order_notify(
            None, Kind.DELAYED, order_id, context={"delay_reason": "backorder", "new_estimate": estimate.isoformat()}, cause=cause,
            event_uuid=uuid.uuid5(uuid.NAMESPACE_URL, cause),
        )
    return len(overdue)
