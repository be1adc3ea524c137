"""Shipping's queue on the console's home: the exceptions and late queue (carrier exceptions,
returns to sender, late shipments the carrier still has), in one aggregate query."""

from datetime import date

from django.db.models import Count, Min, Q

from oms.work_queues import Link, QueueFigures, QueueRow, WorkQueue

from .models import OPEN_STATUSES, TROUBLE_STATUSES, Shipment, ShipmentStatus

QUEUES = (
    # Customer service works it: they answer the customer about the parcel and send return labels.
    WorkQueue("exceptions", "Exceptions and late shipments", act=("shipping.view_shipmentexceptionqueue", "shipping.create_return_label"),
              view="shipping.view_shipmentexceptionqueue", position=80, age_label="oldest shipment",
              help="Carrier exceptions, returns to sender and shipments late against their promised delivery."),
)

# The queue's own rule (the "exceptions and late" changelist shows the same shipments).
IN_QUEUE = Q(status__in=TROUBLE_STATUSES) | Q(late=True, status__in=OPEN_STATUSES)


def _queue(filters: dict[str, str]) -> Link:
    return Link("shipping.shipmentexceptionqueue", filters, oldest_first="promised_delivery_date")


def shipping_queues_count(keys: frozenset[str], today: date) -> dict[str, QueueFigures]:
    parts = {
        "exception": (Q(status=ShipmentStatus.EXCEPTION), {"status__exact": ShipmentStatus.EXCEPTION}, "Carrier exceptions"),
        "returned": (Q(status=ShipmentStatus.RETURNED_TO_SENDER), {"status__exact": ShipmentStatus.RETURNED_TO_SENDER}, "Returned to sender"),
        "late": (Q(late=True), {"late__exact": "1"}, "Late"),
    }
    aggregates = {"count": Count("pk"), "oldest": Min("created_at")}
    for name, (condition, _, _) in parts.items():
        aggregates[f"{name}_count"] = Count("pk", filter=condition)
        aggregates[f"{name}_oldest"] = Min("created_at", filter=condition)
    figures = Shipment.objects.filter(IN_QUEUE).aggregate(**aggregates)
    rows = tuple(
        QueueRow(label, figures[f"{name}_count"], figures[f"{name}_oldest"], _queue(filters))
        for name, (_, filters, label) in parts.items()
    )
    return {"exceptions": QueueFigures(figures["count"], figures["oldest"], _queue({}), rows)}
