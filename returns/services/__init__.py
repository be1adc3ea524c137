"""Every change to a return goes through these services (the status field is protected)."""

from .audit import STATUS_EVENTS, return_lock
from .completion import orders_complete_after_returns
from .exchanges import EXCHANGE_CREATED_EVENT, exchange_rest_refund, on_return_exchange_due, return_exchange_place
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
    return_attention_add,
    return_cancel,
    return_close,
    return_note_add,
    return_reject,
    return_request,
    returns_expire,
)

__all__ = [
    "EXCHANGE_CREATED_EVENT",
    "InspectionData",
    "REFUNDABLE_STATUSES",
    "REFUND_FAILED_EVENT",
    "REFUND_SUCCEEDED_EVENT",
    "ReceivedItem",
    "ReturnLineData",
    "STATUS_EVENTS",
    "customer_in_good_standing",
    "exchange_rest_refund",
    "on_return_exchange_due",
    "on_return_refund_moment",
    "on_return_shipment_moving",
    "orders_complete_after_returns",
    "refund_retry",
    "refunds_pending_resend",
    "return_approve",
    "return_attention_add",
    "return_cancel",
    "return_close",
    "return_exchange_place",
    "return_in_transit",
    "return_inspect",
    "return_label_issue",
    "return_lock",
    "return_note_add",
    "return_receive",
    "return_refund",
    "return_refund_due",
    "return_reject",
    "return_request",
    "returns_expire",
]
