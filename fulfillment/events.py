"""Public events of fulfillment orders, numbered in their order's stream (``order:<id>``).

Callers hold the order's row lock (every fulfillment service takes it first), which is what
makes the stream's numbering safe.
"""

from oms.events import event_record

from .models import FulfillmentOrder

FULFILLMENT_CREATED = "fulfillment.created"
FULFILLMENT_SHIPPED = "fulfillment.shipped"
FULFILLMENT_DELIVERED = "fulfillment.delivered"
FULFILLMENT_CANCELLED = "fulfillment.cancelled"
FULFILLMENT_SHORT_PICKED = "fulfillment.short_picked"


def fulfillment_payload(fulfillment_order: FulfillmentOrder, **extra) -> dict:
    """What every fulfillment event carries; receivers fetch the rest from the API by number."""
    return {
        "fulfillment_order": fulfillment_order.number,
        "order_id": fulfillment_order.order_id,
        "location_id": fulfillment_order.location_id,
        "status": fulfillment_order.status,
        "version": fulfillment_order.version,
        **extra,
    }


def fulfillment_event_publish(fulfillment_order: FulfillmentOrder, name: str, **extra) -> None:
    event_record(name, fulfillment_payload(fulfillment_order, **extra), stream=f"order:{fulfillment_order.order_id}")
