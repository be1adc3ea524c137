"""What the portal's pages read: a customer's orders, one order as its customer sees it, and a
parcel as its tracking link shows it. Each is a fixed number of queries whatever the order's
size (bench/portal.py measures it)."""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator

from fulfillment.models import FulfillmentLine, FulfillmentOrder
from orders.models import Order, OrderEvent, OrderStatus
from shipping.models import Shipment, ShipmentParcel, TrackingEvent

from .links import TRACKING_PATH, tracking_token
from .wording import ORDER_STATUS_WORDS, SHIPMENT_STATUS_WORDS, parcel_words_without_booking

ORDERS_PER_PAGE = 20


def portal_orders_page(*, customer_id: int, page: str | int | None) -> Page:
    """The customer's orders, newest first, a page at a time (two queries: count and page)."""
    orders = Order.objects.filter(customer_id=customer_id).only("number", "status", "placed_at", "grand_total", "currency").order_by("-placed_at", "-id")
    return Paginator(orders, ORDERS_PER_PAGE).get_page(page)


def portal_order_of(*, customer_id: int, number: str) -> Order | None:
    """The customer's own order with this number, or None (someone else's is as absent as none)."""
    return Order.objects.select_related("channel").filter(customer_id=customer_id, number=number).first()


def portal_order_looked_up(*, number: str, email: str, postal_code: str) -> Order | None:
    """The order with this number whose e-mail (the order's or its customer's) or shipping postal
    code matches; None otherwise, for whatever reason."""
    order = Order.objects.select_related("customer").filter(number=number.strip().upper()).first()
    if order is None:
        return None
    email = email.strip().lower()
    if email and email in {order.email.lower(), (order.customer.email if order.customer else "").lower()} - {""}:
        return order
    wanted = "".join(postal_code.split()).upper()
    on_order = "".join(str((order.shipping_address or {}).get("postal_code") or "").split()).upper()
    return order if wanted and wanted == on_order else None


@dataclass
class Parcel:
    """One parcel of an order as its customer sees it."""

    reference: str
    status: str
    carrier: str
    tracking_number: str
    tracking_path: str = ""  # the portal's tracking page, when the parcel was booked with a carrier here
    carrier_url: str = ""
    shipped_at: object = None
    delivered_at: object = None


def _parcel(fulfillment_order: FulfillmentOrder) -> Parcel:
    shipment = fulfillment_order.shipment
    if shipment is None:
        return Parcel(
            reference=fulfillment_order.number, status=parcel_words_without_booking(fulfillment_order), carrier=fulfillment_order.carrier_code,
            tracking_number=fulfillment_order.tracking_number, shipped_at=fulfillment_order.shipped_at, delivered_at=fulfillment_order.delivered_at,
        )
    return Parcel(
        reference=fulfillment_order.number, status=SHIPMENT_STATUS_WORDS[shipment.status], carrier=shipment.carrier.name, tracking_number=shipment.tracking_number,
        tracking_path=TRACKING_PATH.format(token=tracking_token(shipment.pk)), carrier_url=shipment.tracking_url,
        shipped_at=shipment.shipped_at, delivered_at=shipment.delivered_at,
    )


def _parcels_query():
    return FulfillmentOrder.objects.select_related("shipment__carrier").exclude(tracking_number="", shipment__isnull=True).order_by("sequence", "pk")


@dataclass
class OrderView:
    order: Order
    lines: list = field(default_factory=list)
    parcels: list[Parcel] = field(default_factory=list)
    timeline: list[tuple] = field(default_factory=list)  # (when, words), oldest first


# The moments of an order a customer cares about; the rest (reservations, screening, notes) is ours.
_TIMELINE_STATUSES = {
    OrderStatus.ON_HOLD, OrderStatus.BACKORDERED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED,
}


def portal_order_view(order: Order) -> OrderView:
    """The order page's content: lines, parcels and timeline (three queries)."""
    lines = list(order.lines.only("sku", "name", "quantity", "unit_price", "line_total", "quantity_shipped", "order_id").order_by("pk"))
    parcels = [_parcel(fo) for fo in _parcels_query().filter(order_id=order.pk)]
    timeline, last = [(order.placed_at, ORDER_STATUS_WORDS[OrderStatus.PENDING])], OrderStatus.PENDING
    events = OrderEvent.objects.filter(order_id=order.pk, kind=OrderEvent.Kind.STATUS).only("to_status", "created_at").order_by("created_at", "pk")
    for event in events:
        if event.to_status in _TIMELINE_STATUSES and event.to_status != last:
            timeline.append((event.created_at, ORDER_STATUS_WORDS[event.to_status]))
            last = event.to_status
    return OrderView(order=order, lines=lines, parcels=parcels, timeline=timeline)


@dataclass
class TrackingView:
    shipment: Shipment
    order: Order | None
    events: list = field(default_factory=list)  # newest first
    items: list = field(default_factory=list)  # (name, quantity)
    parcel_numbers: list[str] = field(default_factory=list)
    other_parcels: list[Parcel] = field(default_factory=list)


def portal_tracking_view(*, shipment_id: int) -> TrackingView | None:
    """A shipment as its tracking link shows it (six queries), or None when there is none."""
    shipment = Shipment.objects.select_related("carrier").filter(pk=shipment_id).first()
    if shipment is None:
        return None
    fulfillment_order = FulfillmentOrder.objects.select_related("order__channel").filter(shipment_id=shipment.pk).order_by("pk").first()
    order = fulfillment_order.order if fulfillment_order else None
    events = list(TrackingEvent.objects.filter(shipment_id=shipment.pk).only("code", "status_text", "location", "occurred_at").order_by("-occurred_at", "-pk"))
    items = [
        (line.order_line.name or line.order_line.sku, line.quantity)
        for line in FulfillmentLine.objects.select_related("order_line").filter(fulfillment_order__shipment_id=shipment.pk).order_by("pk")
    ]
    parcel_numbers = list(ShipmentParcel.objects.filter(shipment_id=shipment.pk).order_by("sequence").values_list("tracking_number", flat=True))
    others = [] if order is None else [_parcel(fo) for fo in _parcels_query().filter(order_id=order.pk).exclude(shipment_id=shipment.pk)]
    return TrackingView(shipment=shipment, order=order, events=events, items=items, parcel_numbers=parcel_numbers, other_parcels=others)
