"""Every change to a return goes through these services (the status field is protected)."""

from .audit import STATUS_EVENTS, return_lock
from .receiving import InspectionData, ReceivedItem, on_return_shipment_moving, return_in_transit, return_inspect, return_label_issue, return_receive
from .refunds import (
    REFUND_FAILED_EVENT,
    REFUND_SUCCEEDED_EVENT,
    REFUNDABLE_STATUSES,
    customer_in_good_standing,
    on_return_refund_moment,
    refund_retry,
    refunds_pending_resend,
    return_refund,
    return_refund_due,
)
from .requests import (
    ReturnLineData,
    return_approve,
    return_cancel,
    return_close,
    return_note_add,
    return_reject,
    return_request,
    returns_expire,
)

__all__ = [
    "REFUND_FAILED_EVENT",
    "REFUND_SUCCEEDED_EVENT",
    "REFUNDABLE_STATUSES",
    "customer_in_good_standing",
    "on_return_refund_moment",
    "refund_retry",
    "refunds_pending_resend",
    "return_refund",
    "return_refund_due",
    "InspectionData",
    "ReceivedItem",
    "ReturnLineData",
    "STATUS_EVENTS",
    "on_return_shipment_moving",
    "return_approve",
    "return_cancel",
    "return_close",
    "return_in_transit",
    "return_inspect",
    "return_label_issue",
    "return_lock",
    "return_note_add",
    "return_receive",
    "return_reject",
    "return_request",
    "returns_expire",
]
