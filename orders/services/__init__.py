"""Every change to an order goes through these services (the status field is protected)."""

from .allocation import backorders_allocate, order_allocate, order_reallocate
from .bulk import BatchItem, orders_intake_batch
from .changes import order_lines_replace, order_update
from .connections import channel_connection_test
from .invoicing import PaymentRecorded, customer_remittance_record, invoice_payment_record
from .intake import AddressData, IntakeResult, LineData, OrderIntakeData, intake_validate, order_intake
from .lifecycle import (
    order_cancel,
    order_complete,
    order_deliver,
    order_hold_place,
    order_hold_release,
    order_holds_release,
    order_holds_release_all,
    order_note_add,
    order_payment_update,
    order_ship,
    order_start_fulfillment,
)
from .reservations import order_reservation_move
from .returned import order_lines_returned

__all__ = [
    "AddressData",
    "BatchItem",
    "IntakeResult",
    "LineData",
    "OrderIntakeData",
    "PaymentRecorded",
    "backorders_allocate",
    "channel_connection_test",
    "intake_validate",
    "customer_remittance_record",
    "invoice_payment_record",
    "order_allocate",
    "order_cancel",
    "order_complete",
    "order_deliver",
    "order_hold_place",
    "order_hold_release",
    "order_holds_release",
    "order_holds_release_all",
    "order_intake",
    "order_lines_replace",
    "order_lines_returned",
    "order_note_add",
    "order_payment_update",
    "order_reallocate",
    "order_reservation_move",
    "order_ship",
    "order_start_fulfillment",
    "order_update",
]
