"""The orders' queues on the console's home: holds to release, orders to allocate, allocated
orders to send to the floor, and orders late against their promised ship date.

One aggregate query over the open orders (the status index narrows it to them), plus one over
the open holds when the hold queue is shown, whatever the number of orders.
"""

from datetime import date

from django.db.models import Count, Min, Q

from oms.work_queues import Link, QueueFigures, QueueRow, WorkQueue

from .models import HoldReason, Order, OrderHold, OrderStatus, PlatformCancellation

# Not shipped in full yet: what can still miss its promised ship date.
UNSHIPPED = [
    OrderStatus.PENDING, OrderStatus.ON_HOLD, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT,
    OrderStatus.PARTIALLY_SHIPPED,
]
TO_ALLOCATE = [OrderStatus.BACKORDERED, OrderStatus.PENDING]
# The age of a queue is that of its oldest order; a late one's, how long ago its promise passed.
OLDEST = {"late": "promised_delivery_date", "late_to_ship": "promised_ship_date"}

QUEUES = (
    WorkQueue("release", "To release", act=("orders.release_hold",), view="orders.view_order", position=10, age_label="oldest hold",
              help="Orders on hold, by reason; the hold queue lists the longest-waiting first."),
    WorkQueue("allocate", "To allocate", act=("orders.transition_order",), view="orders.view_order", position=20, age_label="oldest order",
              help="Backordered orders wait for stock; pending ones are still being checked."),
    WorkQueue("start_fulfillment", "To send to the floor", act=("orders.transition_order",), view="orders.view_order", position=30,
              age_label="oldest order", help="Allocated orders: start fulfillment to create their fulfillment orders."),
    WorkQueue("late", "Late orders", act=("orders.change_order",), view="orders.view_order", position=90, age_label="most overdue",
              help="Not shipped in full, and the delivery date promised to the customer has passed."),
)


def _orders(filters: dict[str, str]) -> Link:
    return Link("orders.order", filters, oldest_first="placed_at")


def _status_in(statuses) -> str:
    return ",".join(statuses)


def order_queues_count(keys: frozenset[str], today: date) -> dict[str, QueueFigures]:
    measured = {
        "release": Q(status=OrderStatus.ON_HOLD),
        "backordered": Q(status=OrderStatus.BACKORDERED),
        "pending": Q(status=OrderStatus.PENDING),
        "start_fulfillment": Q(status=OrderStatus.ALLOCATED),
        # Intake promises a delivery date (the order's, else the channel's delivery days); a
        # ship date is only there when someone set one, so it is a part of its own.
        "late": Q(promised_delivery_date__lt=today),
        "late_to_ship": Q(promised_ship_date__lt=today),
    }
    wanted = (keys - {"allocate"}) | ({OrderStatus.BACKORDERED, OrderStatus.PENDING} if "allocate" in keys else set())
    wanted |= {"late_to_ship"} if "late" in keys else set()
    aggregates = {}
    for name in wanted:
        condition = measured[name]
        aggregates[f"{name}_count"] = Count("pk", filter=condition)
        aggregates[f"{name}_oldest"] = Min(OLDEST.get(name, "placed_at"), filter=condition)
    figures = Order.objects.filter(status__in=UNSHIPPED).aggregate(**aggregates)
    result = {}
    if "release" in keys:
        result["release"] = _holds(figures["release_count"])
    if "allocate" in keys:
        rows = tuple(
            QueueRow(OrderStatus(status).label, figures[f"{status}_count"], figures[f"{status}_oldest"], _orders({"status__exact": status}))
            for status in TO_ALLOCATE
        )
        oldest = min((row.oldest for row in rows if row.oldest), default=None)
        result["allocate"] = QueueFigures(sum(row.count for row in rows), oldest, _orders({"status__in": _status_in(TO_ALLOCATE)}), rows)
    if "start_fulfillment" in keys:
        result["start_fulfillment"] = QueueFigures(
            figures["start_fulfillment_count"], figures["start_fulfillment_oldest"], _orders({"status__exact": OrderStatus.ALLOCATED})
        )
    if "late" in keys:
        unshipped = _status_in(UNSHIPPED)
        link = _orders({"promised_delivery_date__lt": today.isoformat(), "status__in": unshipped})
        rows = ()
        if figures["late_to_ship_count"]:
            ship_link = _orders({"promised_ship_date__lt": today.isoformat(), "status__in": unshipped})
            rows = (QueueRow("Past the promised ship date", figures["late_to_ship_count"], figures["late_to_ship_oldest"], ship_link),)
        result["late"] = QueueFigures(figures["late_count"], figures["late_oldest"], link, rows)
    return result


def _holds(on_hold: int) -> QueueFigures:
    """Orders on hold, and per reason the open holds (an order has at most one open hold per
    reason, so each row counts the orders the hold queue's reason filter shows)."""
    by_reason = {
        row["reason"]: row
        for row in OrderHold.objects.filter(released_at__isnull=True, order__status=OrderStatus.ON_HOLD)
        .values("reason")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    }
    rows = tuple(sorted(
        (
            QueueRow(label, by_reason[reason]["count"], by_reason[reason]["oldest"], Link("orders.heldorder", {"hold_reason": reason}))
            for reason, label in HoldReason.choices
            if reason in by_reason
        ),
        key=lambda row: row.oldest,
    ))
    oldest = min((row.oldest for row in rows), default=None)
    return QueueFigures(on_hold, oldest, Link("orders.heldorder"), rows)


# Cancellations a platform sent after the OMS had shipped: not applied, a person decides.
CHANNEL_QUEUES = (
    WorkQueue("platform_cancelled", "Cancelled on the platform after shipping", act=("orders.handle_platformcancellation",),
              view="orders.view_platformcancellation", position=95, age_label="oldest",
              help="The shop cancelled orders that had shipped: decide on a refund or a return, then mark each handled."),
)


def channel_queues_count(keys: frozenset[str], today: date) -> dict[str, QueueFigures]:
    figures = PlatformCancellation.objects.filter(handled_at__isnull=True).aggregate(count=Count("pk"), oldest=Min("received_at"))
    link = Link("orders.platformcancellation", {"handled_at__isnull": "True"}, oldest_first="received_at")
    return {"platform_cancelled": QueueFigures(figures["count"], figures["oldest"], link)}
