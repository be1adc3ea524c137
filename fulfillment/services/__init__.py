"""Every change to a fulfillment order goes through these services (the status field is protected)."""

from .common import fulfillment_order_lock
from .creation import fulfillment_orders_create, on_order_fulfillment_started, on_order_reallocated
from .lifecycle import (
    NO_BOOKING,
    fulfillment_order_cancel,
    fulfillment_order_carrier_note,
    fulfillment_order_deliver,
    fulfillment_order_hold_place,
    fulfillment_order_hold_release,
    fulfillment_order_holds_release,
    fulfillment_order_pack,
    fulfillment_order_parcels,
    fulfillment_order_picking_start,
    fulfillment_order_ship,
    fulfillment_orders_cancel_for_order,
    on_order_cancelled,
    on_shipment_delivered,
    on_shipment_trouble,
)
from .routing import fulfillment_order_move, fulfillment_order_split, fulfillment_orders_merge

__all__ = [
    "NO_BOOKING",
    "fulfillment_order_cancel",
    "fulfillment_order_carrier_note",
    "fulfillment_order_deliver",
    "fulfillment_order_hold_place",
    "fulfillment_order_hold_release",
    "fulfillment_order_holds_release",
    "fulfillment_order_lock",
    "fulfillment_order_move",
    "fulfillment_order_pack",
    "fulfillment_order_parcels",
    "fulfillment_order_picking_start",
    "fulfillment_order_ship",
    "fulfillment_order_split",
    "fulfillment_orders_cancel_for_order",
    "fulfillment_orders_create",
    "fulfillment_orders_merge",
    "on_order_cancelled",
    "on_order_fulfillment_started",
    "on_order_reallocated",
    "on_shipment_delivered",
    "on_shipment_trouble",
]
